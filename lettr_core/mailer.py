"""The router: picks the API or SMTP door per message (interim version; see issue 3)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from typing import Any

from .api import ApiTransport
from .config import LettrConfig
from .errors import LettrError, UnsupportedFeature
from .message import Email, SendResult, apply_send_defaults


class Mailer:
    """Chooses the door per message and sends through it. Thread-safe; a context manager."""

    def __init__(self, config: LettrConfig, *, api: Any = None, smtp: Any = None) -> None:
        self.config = config
        self._api = api
        self._smtp = smtp
        self._lock = threading.Lock()

    @property
    def api(self) -> Any:
        """The API transport, created on first use."""
        with self._lock:
            if self._api is None:
                self._api = ApiTransport(self.config)
            return self._api

    @property
    def smtp(self) -> Any:
        """The SMTP transport, created on first use."""
        with self._lock:
            if self._smtp is None:
                from .smtp import SmtpTransport

                self._smtp = SmtpTransport(self.config)  # type: ignore[call-arg]
            return self._smtp

    def choose_transport(self, email: Email) -> str:
        """Which door ``email`` would take: ``"api"`` or ``"smtp"``."""
        if email.transport:
            return email.transport
        needs = email.needs_api()
        if needs:
            if not self.config.api_key:
                raise UnsupportedFeature(
                    f"{', '.join(needs)} need Lettr's API, and no API key is set"
                )
            return "api"
        if self.config.transport == "smtp":
            return "smtp"
        if self.config.api_percent >= 100:
            return "api"
        first = email.to[0].email if email.to else email.from_email.email
        digest = hashlib.blake2b(first.lower().encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest, "big") % 10000
        return "api" if bucket < self.config.api_percent * 100 else "smtp"

    def send(self, email: Email) -> SendResult:
        """Send one message through its door."""
        apply_send_defaults(email, self.config.send_defaults)
        door = self.choose_transport(email)
        result: SendResult = (self.api if door == "api" else self.smtp).send(email)
        return result

    def send_many(self, emails: Iterable[Email]) -> list[SendResult | LettrError]:
        """Send many messages; one result or error per message, in order."""
        return [self._safe_send(email) for email in emails]

    def _safe_send(self, email: Email) -> SendResult | LettrError:
        try:
            return self.send(email)
        except LettrError as error:
            return error

    def check_auth(self) -> dict[str, Any]:
        """``GET /auth/check`` through the API door."""
        result: dict[str, Any] = self.api.check_auth()
        return result

    def get_email(self, request_id: str) -> dict[str, Any]:
        """``GET /emails/{request_id}`` through the API door."""
        result: dict[str, Any] = self.api.get_email(request_id)
        return result

    def cancel_scheduled(self, request_id: str) -> None:
        """``DELETE /emails/scheduled/{request_id}`` through the API door."""
        self.api.cancel_scheduled(request_id)

    def open(self) -> None:
        """Nothing to do: doors open lazily."""

    def close(self) -> None:
        """Close both doors."""
        for door in (self._api, self._smtp):
            if door is not None:
                door.close()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
