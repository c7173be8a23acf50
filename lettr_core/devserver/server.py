"""``DevServer``: a local stand-in for Lettr — HTTP API and SMTP relay on loopback.

Use it from tests as a context manager::

    with DevServer() as server:
        requests.post(server.api_url + "/emails", json=..., headers=...)
        assert server.messages()[0]["subject"] == "Hi"

Both listeners bind free ports by default (``http_port=0``, ``smtp_port=0``). Every knob of
fault injection can also be changed while it runs, with :meth:`DevServer.configure`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import warnings
import zlib
from collections.abc import Callable
from typing import Any

from .api import iso
from .faults import FaultInjector, Knobs
from .http_server import DevHTTPServer
from .smtp_relay import RelayHandler, make_tls, start_relay
from .store import MESSAGE_FIELDS, Store, open_store

log = logging.getLogger("lettr_core.devserver")

#: what a shown key is replaced with
MASK = "lttr_****"
_KEY_PREFIX = "lttr_"
_LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names a loopback interface."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ordered(message: dict[str, Any]) -> dict[str, Any]:
    return {name: message.get(name) for name in MESSAGE_FIELDS}


class DevServer:
    """The dev server: an HTTP API like Lettr's and an SMTP relay like Lettr's, on loopback.

    ``api_key``: the one key accepted (by both doors); None accepts any key starting ``lttr_``.
    ``store``: a path for a SQLite store (kept across runs), a :class:`Store`, or None (memory).
    ``tls``: STARTTLS on the relay (required before AUTH); ``implicit_tls`` wraps the whole
    session instead, as on Lettr's port 465. ``smtp_fail_rate``: share of SMTP messages refused
    with 451 (not stored). ``ca_path``: where to write the CA's PEM (default: a temporary
    directory removed on stop). ``clock``/``sleep`` can be injected in tests.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        http_port: int = 0,
        smtp_port: int = 0,
        api_key: str | None = None,
        latency_ms: float = 0,
        rate_limit: int | None = None,
        fail_rate: float = 0,
        reset_rate: float = 0,
        lost_reply_rate: float = 0,
        seed: int | None = None,
        store: str | Store | None = None,
        tls: bool = True,
        *,
        implicit_tls: bool = False,
        smtp_fail_rate: float = 0,
        retry_after: int | None = None,
        fail_status: int = 500,
        ca_path: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if api_key is not None and not api_key.startswith(_KEY_PREFIX):
            raise ValueError("api_key must start with 'lttr_'")
        if not is_loopback(host):
            warnings.warn(
                f"the lettr dev server listens on {host}, not on loopback: anyone who can reach "
                "this address can read every captured message",
                RuntimeWarning,
                stacklevel=2,
            )
        self.host = host
        self.http_port = http_port
        self.smtp_port = smtp_port
        self.api_key = api_key
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.clock = clock
        self.sleep = sleep
        self.faults = FaultInjector(
            Knobs(
                latency_ms=latency_ms,
                rate_limit=rate_limit,
                retry_after=retry_after,
                fail_rate=fail_rate,
                fail_status=fail_status,
                reset_rate=reset_rate,
                lost_reply_rate=lost_reply_rate,
                smtp_fail_rate=smtp_fail_rate,
            ),
            seed=seed,
            clock=clock,
        )
        self.store: Store = store if store is not None and not isinstance(store, str) \
            else open_store(store)
        self.store_path = store if isinstance(store, str) else None
        self.send_lock = threading.RLock()
        self._key_locks = [threading.Lock() for _ in range(64)]
        self._requested_ca_path = ca_path
        self._tempdir: str | None = None
        self.ca_path: str | None = None
        self._seen_keys: set[str] = {api_key} if api_key else set()
        self._keys_lock = threading.Lock()
        self._http: DevHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._smtp: Any = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> DevServer:
        """Start both listeners (each in its own thread); return self."""
        if self._http is not None:
            raise RuntimeError("the dev server is already running")
        try:
            tls_context = None
            if self.tls or self.implicit_tls:
                self.ca_path = self._requested_ca_path
                if self.ca_path is None:
                    self._tempdir = tempfile.mkdtemp(prefix="lettr-devserver-")
                    self.ca_path = os.path.join(self._tempdir, "ca.pem")
                tls_context = make_tls(self.ca_path, _cert_names(self.host))
            handler = RelayHandler(
                self.accepts_key,
                self._store_smtp,
                lambda: self.faults.count("smtp_auth_failures"),
                self.faults.smtp_fails,
            )
            self._smtp = start_relay(
                handler, self.host, self.smtp_port, tls_context, self.implicit_tls
            )
            self.smtp_port = int(self._smtp.port)
            self._http = DevHTTPServer((self.host, self.http_port), self)
            self.http_port = int(self._http.server_address[1])
            self._http_thread = threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                name="lettr-devserver-http", daemon=True,
            )
            self._http_thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both listeners and release the store and the temporary CA file."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join()
            self._http_thread = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
            self.ca_path = None

    def close(self) -> None:
        """Stop and close the store."""
        self.stop()
        self.store.close()

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- addresses -----------------------------------------------------------------------

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def api_url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:8025`` (set it as ``API_URL``)."""
        return f"http://{self._url_host}:{self.http_port}"

    @property
    def inbox_url(self) -> str:
        """URL of the inbox page."""
        return self.api_url + "/"

    @property
    def smtp_host(self) -> str:
        """Host of the SMTP relay."""
        return self.host

    @property
    def smtp_address(self) -> str:
        """``host:port`` of the SMTP relay."""
        return f"{self._url_host}:{self.smtp_port}"

    # -- keys ----------------------------------------------------------------------------

    def accepts_key(self, key: str) -> bool:
        """Whether ``key`` is accepted (the configured one, or any ``lttr_`` key)."""
        ok = (
            secrets.compare_digest(key, self.api_key)
            if self.api_key is not None
            else key.startswith(_KEY_PREFIX) and len(key) > len(_KEY_PREFIX)
        )
        if ok or key.startswith(_KEY_PREFIX):
            with self._keys_lock:
                if len(self._seen_keys) < 1000:
                    self._seen_keys.add(key)
        return ok

    def mask(self, data: bytes) -> bytes:
        """``data`` with every key this server has seen replaced by ``lttr_****``."""
        with self._keys_lock:
            keys = sorted(self._seen_keys, key=len, reverse=True)
        for key in keys:
            data = data.replace(key.encode("utf-8"), MASK.encode("ascii"))
        return data

    # -- messages ------------------------------------------------------------------------

    def idempotency_lock(self, key: str | None) -> contextlib.AbstractContextManager[Any]:
        """A lock that makes "replay or store" atomic for one ``Idempotency-Key`` (striped, so
        requests with different keys, or none, run in parallel)."""
        if key is None:
            return contextlib.nullcontext()
        return self._key_locks[zlib.crc32(key.encode("utf-8", "replace")) % len(self._key_locks)]

    def new_request_id(self) -> str:
        """A fresh numeric-looking request id, as Lettr's (20 digits)."""
        return str(secrets.randbelow(9 * 10**19) + 10**19)

    def _store_smtp(self, message: dict[str, Any], contents: list[bytes]) -> None:
        message["received_at"] = iso(self.clock())
        stored = self.store.add(message, contents)
        self.faults.count("smtp_messages")
        log.info("SMTP message %s stored: %d recipient(s)", stored["id"],
                 len(message.get("envelope_to") or []))

    def messages(self, door: str | None = None) -> list[dict[str, Any]]:
        """Every stored message, newest first (optionally only ``"api"`` or ``"smtp"``)."""
        return [
            _ordered(message)
            for message in self.store.list()
            if door is None or message.get("door") == door
        ]

    def message(self, message_id: str | int) -> dict[str, Any] | None:
        """One stored message by its dev-server ``id``."""
        text = str(message_id)
        if not re.fullmatch(r"\d{1,18}", text):
            return None
        found = self.store.get(int(text))
        return _ordered(found) if found else None

    def clear(self) -> None:
        """Forget every message, idempotency key, counter and the rate window."""
        with self.send_lock:
            self.store.clear()
            self.faults.reset()

    # -- knobs ---------------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, int]:
        """Counters: requests, stored, unauthorized, rate_limited, failed, reset, ..."""
        return dict(self.faults.stats)

    def config(self) -> dict[str, Any]:
        """The current knobs."""
        knobs = self.faults.knobs
        return {name: getattr(knobs, name) for name in knobs.__dataclass_fields__}

    def configure(self, **changes: Any) -> None:
        """Change knobs while running (``fail_rate=0.5``, ``rate_limit=None``, ``seed=3``...)."""
        seed = changes.pop("seed", None)
        knobs = Knobs(**{**self.config(), **changes})
        knobs.check()
        self.faults.knobs = knobs
        if seed is not None:
            self.faults.seed = seed
            self.faults.reset(seed)

    def wait_latency(self) -> None:
        """Sleep for the configured latency (through the injected ``sleep``)."""
        latency = self.faults.knobs.latency_ms
        if latency > 0:
            self.sleep(latency / 1000.0)

    def __repr__(self) -> str:
        return f"<DevServer api={self.api_url} smtp={self.smtp_address} key=masked>"


def _cert_names(host: str) -> tuple[str, ...]:
    names = ["localhost", "127.0.0.1"]
    if host not in names and host not in ("0.0.0.0", "::"):
        names.append(host)
    return tuple(names)
