"""The HTTP API door: one pooled ``requests.Session``, paced, retried, idempotent.

``ApiTransport.send`` turns one :class:`~lettr_core.Email` into one or more ``POST /emails``
requests (more when it has over 50 recipients) and returns a :class:`SendResult`;
``send_many`` also coalesces messages that differ only in their single ``to`` recipient into
requests of up to 50 recipients, and runs requests on a bounded worker pool.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from . import timing
from .config import LettrConfig, mask_secret
from .errors import LettrError, ServerError, TransportError
from .http import HttpAnswer, connection_settings, exchange
from .http_errors import error_from_response, parse_json, quota_from_headers
from .limits import MAX_RECIPIENTS_PER_REQUEST
from .message import Email, SendResult
from .payload import build_payload, encode_body, split_recipients
from .ratelimit import RateLimiter
from .retry import RetryPolicy
from .version import __version__

logger = logging.getLogger("lettr")

USER_AGENT = f"lettr-mail/{__version__} (+python; requests/{requests.__version__})"
Outcome = SendResult | LettrError


@dataclass
class _Answer:
    status: int
    headers: Any
    data: Any


@dataclass
class _Unit:
    """One request to make: a body, the indexes of the messages it serves, its key."""

    body: dict[str, Any]
    indexes: list[int]
    key: str
    path: str
    split: list[dict[str, Any]] = field(default_factory=list)


class ApiTransport:
    """Sends :class:`~lettr_core.Email` through Lettr's HTTP API.

    ``session``, ``sleep``, ``clock``, ``wall_clock`` and ``now`` are injectable for tests.
    Thread-safe: one session and one rate limiter are shared by every thread.
    """

    def __init__(
        self,
        config: LettrConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = timing.wait,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not config.api_key:
            from .errors import ConfigurationError

            raise ConfigurationError(
                "the API door needs an API key: set API_KEY (LETTR_API_KEY)", setting="API_KEY"
            )
        self.config = config
        self._session = session
        self._own_session = session is None
        self._lock = threading.Lock()
        self._sleep = sleep
        self._clock = clock
        self._now = now or (lambda: datetime.now(timezone.utc))
        self.limiter = RateLimiter(
            config.initial_rate_limit,
            ceiling=config.rate_limit,
            clock=clock,
            wall_clock=wall_clock,
            sleep=sleep,
        )
        self.policy = RetryPolicy(max_retries=config.max_retries, deadline=config.retry_deadline)
        self._auth_header = f"Bearer {config.api_key}"
        self._key_mask = mask_secret(config.api_key) or ""
        self._settings: tuple[requests.Session, dict[str, Any]] | None = None
        #: moving averages (seconds) sizing send_many's pool: HTTP round trip, CPU per request
        self._round_trip: float | None = None
        self._cpu_per_request: float | None = None

    def __repr__(self) -> str:
        return f"ApiTransport(api_url={self.config.api_url!r}, open={self._session is not None})"

    # -- lifecycle ----------------------------------------------------------------------
    def open(self) -> None:
        """Create the pooled session (done lazily by the first request otherwise)."""
        with self._lock:
            if self._session is None:
                session = requests.Session()
                pool = max(self.config.max_workers, 1) + 2
                adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session = session
                self._own_session = True

    def close(self) -> None:
        """Close the session's connections (a new one is made if used again)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None and self._own_session:
            session.close()

    def __enter__(self) -> ApiTransport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending ------------------------------------------------------------------------
    def send(self, email: Email) -> SendResult:
        """Send one message (split into requests of 50 recipients when larger)."""
        body = build_payload(email, now=self._now(), lazy_data=True)
        key = email.idempotency_key or uuid.uuid4().hex
        unit = _Unit(body, [0], key, _path(body))
        return self._send_unit(unit)

    def send_many(self, emails: Iterable[Email]) -> list[Outcome]:
        """Send many messages; return one :class:`SendResult` or error per message, in order.

        Messages identical but for their single ``to`` recipient (a newsletter) share
        requests of up to 50 recipients. Requests run on a pool of up to ``MAX_WORKERS``
        threads, sized from the measured round trip; the rate limiter paces them all.
        Never raises for one message's failure.
        """
        emails = list(emails)
        outcomes: list[Outcome | None] = [None] * len(emails)
        units = self._plan(emails, outcomes)
        # a couple of requests in this thread measure the round trip and our CPU per request
        probe = min(len(units), _PROBE_UNITS)
        results = [self._run_unit_measured(unit) for unit in units[:probe]]
        rest = units[probe:]
        workers = min(self._pool_size(), len(rest))
        if workers <= 1:
            results += [self._run_unit(unit) for unit in rest]
        else:
            self.open()
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lettr") as pool:
                results += list(pool.map(self._run_unit, rest))
        for unit, result in zip(units, results, strict=True):
            for index in unit.indexes:
                outcomes[index] = _share(result, len(unit.indexes))
        return [o for o in outcomes if o is not None]

    def _plan(self, emails: Sequence[Email], outcomes: list[Outcome | None]) -> list[_Unit]:
        units: list[_Unit] = []
        groups: dict[bytes, _Unit] = {}
        now = self._now()
        for index, email in enumerate(emails):
            try:
                body = build_payload(email, now=now, lazy_data=True)
            except LettrError as error:
                outcomes[index] = error
                continue
            coalescible = (
                email.idempotency_key is None
                and len(body["to"]) == 1
                and "cc" not in body
                and "bcc" not in body
            )
            if coalescible:
                to = body.pop("to")
                group_key = encode_body(body, fingerprint=True)
                body["to"] = to
                unit = groups.get(group_key)
                if unit is not None and len(unit.indexes) < MAX_RECIPIENTS_PER_REQUEST:
                    unit.body["to"] = [*unit.body["to"], *to]
                    unit.indexes.append(index)
                    continue
                unit = _Unit(body, [index], uuid.uuid4().hex, _path(body))
                groups[group_key] = unit
                units.append(unit)
            else:
                key = email.idempotency_key or uuid.uuid4().hex
                units.append(_Unit(body, [index], key, _path(body)))
        return units

    def _pool_size(self) -> int:
        """Threads worth running: enough to cover the round trip (Little's law), at most
        ``MAX_WORKERS``. When the server answers about as fast as a request is built (a
        local server), threads only add hand-offs, so requests go one after another."""
        rtt, cpu = self._round_trip, self._cpu_per_request
        if rtt is None or cpu is None or cpu <= 0:
            return self.config.max_workers
        if rtt < 2 * cpu:
            return 1
        return max(1, min(self.config.max_workers, math.ceil(rtt / cpu)))

    def _run_unit_measured(self, unit: _Unit) -> Outcome:
        started = time.thread_time()
        outcome = self._run_unit(unit)
        _ewma_update(self, "_cpu_per_request", time.thread_time() - started)
        return outcome

    def _run_unit(self, unit: _Unit) -> Outcome:
        try:
            return self._send_unit(unit)
        except LettrError as error:
            return error

    def _send_unit(self, unit: _Unit) -> SendResult:
        results: list[SendResult] = []
        for number, chunk in enumerate(split_recipients(unit.body)):
            key = unit.key if number == 0 else f"{unit.key}-{number}"
            try:
                answer = self._request("POST", unit.path, body=chunk, idempotency_key=key)
            except LettrError as error:
                if results:
                    error.partial_result = _sum(results, unit.key)
                raise
            results.append(_result(answer, key, scheduled=unit.path != "/emails"))
        return _sum(results, unit.key)

    # -- other calls --------------------------------------------------------------------
    def check_auth(self) -> dict[str, Any]:
        """``GET /auth/check``: the ``data`` of Lettr's answer (``team_id``, ``timestamp``)."""
        return dict(self._request("GET", "/auth/check").data.get("data") or {})

    def get_email(self, request_id: str) -> dict[str, Any]:
        """``GET /emails/{request_id}``: state, recipients and events of a sent message."""
        return dict(self._request("GET", f"/emails/{_segment(request_id)}").data.get("data") or {})

    def get_scheduled(self, request_id: str) -> dict[str, Any]:
        """``GET /emails/scheduled/{request_id}``: a scheduled message's state."""
        path = f"/emails/scheduled/{_segment(request_id)}"
        return dict(self._request("GET", path).data.get("data") or {})

    def cancel_scheduled(self, request_id: str) -> None:
        """``DELETE /emails/scheduled/{request_id}``; :class:`Conflict` when too late."""
        self._request("DELETE", f"/emails/scheduled/{_segment(request_id)}")

    # -- the wire -----------------------------------------------------------------------
    def _send_http(
        self,
        session: requests.Session,
        method: str,
        url: str,
        headers: dict[str, str],
        data: bytes | None,
    ) -> HttpAnswer | requests.Response:
        """One HTTP exchange (see :mod:`lettr_core.http`)."""
        cached = self._settings
        if cached is None or cached[0] is not session:
            cached = (session, connection_settings(session, self.config.api_url))
            self._settings = cached
        return exchange(session, method, url, headers, data, self.config.timeout, cached[1])

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> _Answer:
        if self._session is None:
            self.open()
        session = self._session
        assert session is not None
        url = self.config.api_url + path
        headers = {
            "Authorization": self._auth_header,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        data = None
        if body is not None:
            data = encode_body(body)
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        started = self._clock()
        attempt = 0
        maybe_delivered = False  # did an attempt possibly reach Lettr without an answer?
        while True:
            attempt += 1
            self.limiter.acquire()
            t0 = time.perf_counter()
            try:
                response = self._send_http(session, method, url, headers, data)
                _ewma_update(self, "_round_trip", time.perf_counter() - t0)
            except requests.RequestException as exc:
                error: LettrError = _transport_error(exc, method, path)
                status = None
                maybe_delivered = maybe_delivered or _may_have_arrived(exc)
            else:
                status = response.status_code
                self.limiter.update(response.headers)
                if 200 <= status < 300:
                    answer = _Answer(status, response.headers, parse_json(response.content))
                    if not isinstance(answer.data, dict):
                        error = ServerError(
                            "Lettr answered with a body that is not JSON",
                            status=status, body=response.text[:2000],
                        )
                        error.retryable = False
                    else:
                        _log(method, path, status, answer, attempt, t0)
                        return answer
                else:
                    error = error_from_response(
                        status, response.content, response.headers, response.reason or ""
                    )
                    if status == 429 and error.retryable:
                        self.limiter.hold(error.retry_after or 1.0)
            error.redact(self.config.api_key, self._key_mask)
            wait = self.policy.delay(error, attempt, self._clock() - started)
            logger.warning(
                "%s %s -> %s %s attempt=%d duration=%.1fms%s",
                method, path, status if status is not None else "no answer",
                error.error_code or type(error).__name__, attempt,
                (time.perf_counter() - t0) * 1000,
                f" retrying in {wait:.2f}s" if wait is not None else "",
            )
            if wait is None:
                error.maybe_delivered = maybe_delivered
                raise error
            if error.retry_after is None:
                self._sleep(wait)
            # a Retry-After wait is enforced by the limiter's hold for every thread


#: requests sent in the calling thread at the start of send_many, to size the pool
_PROBE_UNITS = 2


def _ewma_update(transport: ApiTransport, name: str, sample: float) -> None:
    """Fold ``sample`` into the moving average ``transport.<name>`` (racy by design: a lost
    update among threads only delays the estimate)."""
    current = getattr(transport, name)
    setattr(transport, name, sample if current is None else current * 0.8 + sample * 0.2)


def _path(body: dict[str, Any]) -> str:
    return "/emails/scheduled" if "scheduled_at" in body else "/emails"


def _segment(request_id: str) -> str:
    text = str(request_id)
    if not text or "/" in text or "?" in text or "#" in text or "\n" in text or "\r" in text:
        from .errors import ValidationError

        raise ValidationError(f"{text!r} is not a request id", field="request_id")
    return text


def _may_have_arrived(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the server: the connection was
    refused or timed out, or TLS failed, before anything was sent."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return False
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _transport_error(exc: requests.RequestException, method: str, path: str) -> TransportError:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
    if isinstance(exc, requests.exceptions.SSLError):
        kind = "failed TLS verification"
    return TransportError(f"{method} {path} {kind}: {type(exc).__name__}")


def _log(method: str, path: str, status: int, answer: _Answer, attempt: int, t0: float) -> None:
    if logger.isEnabledFor(logging.INFO):
        data = answer.data.get("data") if isinstance(answer.data, dict) else None
        request_id = data.get("request_id") if isinstance(data, dict) else None
        logger.info(
            "%s %s -> %d request_id=%s attempt=%d duration=%.1fms",
            method, path, status, request_id, attempt, (time.perf_counter() - t0) * 1000,
        )


def _result(answer: _Answer, key: str, *, scheduled: bool) -> SendResult:
    data = answer.data.get("data") if isinstance(answer.data, dict) else None
    if not isinstance(data, dict) or "request_id" not in data:
        error = ServerError("Lettr's answer has no request id", status=answer.status,
                            body=str(answer.data)[:2000])
        error.retryable = False
        raise error
    request_id = str(data["request_id"])
    return SendResult(
        request_id=request_id,
        accepted=int(data.get("accepted") or 0),
        rejected=int(data.get("rejected") or 0),
        transport="api",
        status=answer.status,
        quota=quota_from_headers(answer.headers),
        request_ids=[request_id],
        idempotency_key=key,
        scheduled=scheduled,
        message=answer.data.get("message"),
    )


def _sum(results: list[SendResult], key: str) -> SendResult:
    if len(results) == 1:
        return results[0]
    first, last = results[0], results[-1]
    return SendResult(
        request_id=first.request_id,
        accepted=sum(r.accepted for r in results),
        rejected=sum(r.rejected for r in results),
        transport="api",
        status=last.status,
        quota=last.quota,
        request_ids=[r for result in results for r in result.request_ids],
        idempotency_key=key,
        scheduled=first.scheduled,
        message=first.message,
    )


def _share(outcome: Outcome, members: int) -> Outcome:
    """The outcome of one message of a coalesced request of ``members`` messages."""
    if members == 1 or isinstance(outcome, LettrError):
        return outcome
    if outcome.rejected == 0:
        return SendResult(
            request_id=outcome.request_id, accepted=1, rejected=0, transport="api",
            status=outcome.status, quota=outcome.quota, request_ids=list(outcome.request_ids),
            idempotency_key=outcome.idempotency_key, scheduled=outcome.scheduled,
            message=outcome.message,
        )
    # Lettr reports counts only: which of the batch's recipients were refused is unknown
    return SendResult(
        request_id=outcome.request_id, accepted=outcome.accepted, rejected=outcome.rejected,
        transport="api", status=outcome.status, quota=outcome.quota,
        request_ids=list(outcome.request_ids), idempotency_key=outcome.idempotency_key,
        scheduled=outcome.scheduled,
        message=f"batch of {members}: counts are for the whole request",
    )
