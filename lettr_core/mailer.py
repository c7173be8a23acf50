"""The router: :class:`Mailer` picks the API or the SMTP door for each message.

The order of the rules (issue 3, DESIGN.md "Gradual migration"):

1. the message's own ``transport`` (``lettr_transport``);
2. a message that needs the API (template, substitution data, scheduling, options, the
   ``X-Lettr-Template-*`` headers) takes the API when a key is set, and fails with
   :class:`UnsupportedFeature` when none is (unless ``IGNORE_UNSUPPORTED_FEATURES``);
3. ``TRANSPORT="smtp"`` sends everything else through SMTP;
4. otherwise ``API_PERCENT`` of recipients take the API and the rest SMTP, by a stable bucket
   of the first recipient's address, so one person always takes the same door.

With ``FALLBACK_TO_SMTP``, a message the API could not deliver because of a retryable
failure (after the API door's own retries) goes through SMTP; the result says
``transport="smtp"`` and ``fallback=True``.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Protocol

from .api import ApiTransport
from .config import LettrConfig
from .errors import LettrError, UnsupportedFeature
from .message import Email, SendResult, TransportName, apply_send_defaults
from .smtp import SmtpTransport

log = logging.getLogger("lettr")

Outcome = SendResult | LettrError
#: buckets of the rollout: API_PERCENT=12.5 sends buckets 0..1249 through the API
BUCKETS = 10_000


class Door(Protocol):
    """What the router needs from a transport (both doors have it)."""

    def open(self) -> object: ...

    def close(self) -> None: ...

    def send(self, email: Email) -> SendResult: ...

    def send_many(self, emails: list[Email]) -> list[SendResult | LettrError]: ...


class ApiDoor(Door, Protocol):
    """The API door also answers the API-only calls."""

    def check_auth(self) -> dict[str, Any]: ...

    def get_email(self, request_id: str) -> dict[str, Any]: ...

    def cancel_scheduled(self, request_id: str) -> None: ...


def routing_bucket(address: str) -> int:
    """The stable rollout bucket (0..9999) of an address, case-insensitive.

    An unkeyed BLAKE2b of the lower-cased address: the same in every process and run,
    unlike :func:`hash`, so a person keeps their door across restarts and machines.
    """
    digest = hashlib.blake2b(address.strip().lower().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


class Mailer:
    """Chooses the door per message and sends through it.

    ``api`` and ``smtp`` inject transports (tests); otherwise an
    :class:`~lettr_core.ApiTransport` and an :class:`~lettr_core.SmtpTransport` are made on
    first use and kept (one pooled HTTP session, one SMTP session) until :meth:`close`.
    Thread-safe; a context manager.
    """

    def __init__(
        self, config: LettrConfig, *, api: ApiDoor | None = None, smtp: Door | None = None
    ) -> None:
        self.config = config
        self._api = api
        self._smtp = smtp
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        cfg = self.config
        return (
            f"Mailer(transport={cfg.transport!r}, api_percent={cfg.api_percent:g}, "
            f"fallback_to_smtp={cfg.fallback_to_smtp})"
        )

    # -- the doors ------------------------------------------------------------------------
    @property
    def api(self) -> ApiDoor:
        """The API transport, created on first use."""
        with self._lock:
            if self._api is None:
                self._api = ApiTransport(self.config)
            return self._api

    @property
    def smtp(self) -> Door:
        """The SMTP transport, created on first use."""
        with self._lock:
            if self._smtp is None:
                self._smtp = SmtpTransport(self.config)
            return self._smtp

    def open(self) -> None:
        """Nothing to connect yet: each door opens on its first message."""

    def close(self) -> None:
        """Close both doors (those that were used); safe to call twice."""
        with self._lock:
            doors = [door for door in (self._api, self._smtp) if door is not None]
        for door in doors:
            door.close()

    def __enter__(self) -> Mailer:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- routing --------------------------------------------------------------------------
    def choose_transport(self, email: Email) -> TransportName:
        """The door ``email`` would take, ``"api"`` or ``"smtp"``, without sending it.

        ``SEND_DEFAULTS`` are taken into account (on a copy: ``email`` is not changed).
        Raises :class:`UnsupportedFeature` when the message needs the API and no key is set.
        """
        return self._route(apply_send_defaults(copy.copy(email), self.config.send_defaults))

    def _route(self, email: Email) -> TransportName:
        cfg = self.config
        if email.transport == "api":
            if not cfg.api_key:
                raise UnsupportedFeature(
                    "the message asks for the API door (transport='api') but no API key is "
                    "set: set API_KEY (LETTR_API_KEY)"
                )
            return "api"
        if email.transport == "smtp":
            return "smtp"
        needs = email.needs_api()
        if needs:
            if cfg.api_key:
                return "api"
            if not cfg.ignore_unsupported_features:
                raise UnsupportedFeature(
                    f"{', '.join(needs)} need Lettr's API and no API key is set: set API_KEY "
                    f"(LETTR_API_KEY); the SMTP wire cannot carry them"
                )
            return "smtp"  # the SMTP door drops them with a warning
        if cfg.transport == "smtp":
            return "smtp"
        first = (email.to or email.cc or email.bcc or [email.from_email])[0]
        return "api" if routing_bucket(first.email) < cfg.api_percent * 100 else "smtp"

    # -- sending --------------------------------------------------------------------------
    def send(self, email: Email) -> SendResult:
        """Send one message through its door (``SEND_DEFAULTS`` applied first, in place)."""
        apply_send_defaults(email, self.config.send_defaults)
        if self._route(email) == "smtp":
            return self.smtp.send(email)
        try:
            return self.api.send(email)
        except LettrError as error:
            if not self._may_fall_back(email, error):
                raise
            self._warn_fallback(error)
            try:
                result = self.smtp.send(email)
            except LettrError as smtp_error:
                raise smtp_error from error
            result.fallback = True
            return result

    def send_many(self, emails: Iterable[Email]) -> list[Outcome]:
        """Send many messages; one :class:`SendResult` or error per message, in input order.

        The API share goes through the API door's ``send_many`` in one call (so identical
        messages to single recipients are coalesced), the SMTP share and any fallbacks
        through the SMTP door's ``send_many`` on one session. Never raises for one message.
        """
        emails = list(emails)
        outcomes: list[Outcome | None] = [None] * len(emails)
        api_share: list[int] = []
        smtp_share: list[int] = []
        for index, email in enumerate(emails):
            try:
                apply_send_defaults(email, self.config.send_defaults)
                door = self._route(email)
            except LettrError as error:
                outcomes[index] = error
                continue
            (api_share if door == "api" else smtp_share).append(index)
        fallen: dict[int, LettrError] = {}
        if api_share:
            api_outcomes = self.api.send_many([emails[i] for i in api_share])
            for index, outcome in zip(api_share, api_outcomes, strict=True):
                if isinstance(outcome, LettrError) and self._may_fall_back(emails[index], outcome):
                    fallen[index] = outcome
                else:
                    outcomes[index] = outcome
        if fallen:
            self._warn_fallback(next(iter(fallen.values())), count=len(fallen))
        smtp_all = smtp_share + sorted(fallen)
        if smtp_all:
            smtp_outcomes = self.smtp.send_many([emails[i] for i in smtp_all])
            for index, outcome in zip(smtp_all, smtp_outcomes, strict=True):
                if index in fallen:
                    if isinstance(outcome, SendResult):
                        outcome.fallback = True
                    else:
                        outcome.__cause__ = fallen[index]
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def _may_fall_back(self, email: Email, error: LettrError) -> bool:
        """FALLBACK_TO_SMTP applies: retryable API failure, SMTP can carry the message,
        the message did not insist on the API, and no part of it was already sent."""
        return (
            self.config.fallback_to_smtp
            and error.retryable
            and email.transport is None
            and not email.needs_api()
            and error.partial_result is None
        )

    def _warn_fallback(self, error: LettrError, count: int = 1) -> None:
        what = "a message" if count == 1 else f"{count} messages"
        log.warning(
            "Lettr API failed (%s: %s); sending %s through SMTP instead (FALLBACK_TO_SMTP)",
            type(error).__name__, error, what,
        )

    # -- API-only calls -------------------------------------------------------------------
    def check_auth(self) -> dict[str, Any]:
        """``GET /auth/check`` through the API door."""
        return self.api.check_auth()

    def get_email(self, request_id: str) -> dict[str, Any]:
        """``GET /emails/{request_id}`` through the API door."""
        return self.api.get_email(request_id)

    def cancel_scheduled(self, request_id: str) -> None:
        """``DELETE /emails/scheduled/{request_id}`` through the API door."""
        self.api.cancel_scheduled(request_id)
