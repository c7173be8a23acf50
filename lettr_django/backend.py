"""``lettr_django.EmailBackend``: Django's ``send_mail`` through Lettr, by settings alone.

Django 5.2 / 6.0::

    EMAIL_BACKEND = "lettr_django.EmailBackend"
    LETTR = {"API_KEY": "lttr_..."}

Django 6.1::

    MAILERS = {"default": {"BACKEND": "lettr_django.EmailBackend",
                           "OPTIONS": {"api_key": "lttr_..."}}}

The backend converts each message (:mod:`lettr_django.convert`) and hands the batch to
:class:`lettr_core.Mailer`, which picks the door (API or SMTP) per message and coalesces
identical newsletters into shared API requests.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from typing import Any

import django
from django.core.mail.backends.base import BaseEmailBackend

from lettr_core import ConfigurationError, Email, LettrError, Mailer, SendResult

from .convert import to_email
from .settings import OPTION_NAMES, LettrImproperlyConfigured, build_config
from .signals import CancelSend, post_send, pre_send

_MAILERS_API = django.VERSION >= (6, 1)


class EmailBackend(BaseEmailBackend):
    """Sends Django messages through Lettr's API or SMTP relay (see DESIGN.md, "Settings").

    Keyword options (Django 6.1: ``MAILERS`` ``OPTIONS``) win over the ``LETTR`` setting and
    the environment: every ``LETTR`` knob in lower case (``api_key``, ``transport``,
    ``api_percent``, ``smtp_host``...) and Django's SMTP names (``host``, ``port``,
    ``username``, ``password``, ``use_tls``, ``use_ssl``, ``ssl_keyfile``, ``ssl_certfile``).
    A missing or invalid setting raises ``ImproperlyConfigured`` here, naming the setting.

    ``fail_silently=True`` swallows :class:`lettr_core.LettrError` only. Otherwise every
    message that can be sent is sent, then the first failure's own error is raised with a
    ``failures`` attribute: ``[(message, error), ...]``.
    """

    #: the router class; a subclass may swap it (tests do)
    mailer_class: type[Mailer] = Mailer

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        alias: str | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        transport: str | None = None,
        api_percent: float | None = None,
        fallback_to_smtp: bool | None = None,
        max_retries: int | None = None,
        retry_deadline: float | None = None,
        timeout: Any = None,
        rate_limit: float | None = None,
        max_workers: int | None = None,
        send_defaults: dict[str, Any] | None = None,
        ignore_unsupported_features: bool | None = None,
        smtp_host: str | None = None,
        smtp_port: int | None = None,
        smtp_username: str | None = None,
        smtp_password: str | None = None,
        smtp_security: str | None = None,
        smtp_timeout: float | None = None,
        smtp_local_hostname: str | None = None,
        smtp_ssl_certfile: str | None = None,
        smtp_ssl_keyfile: str | None = None,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool | None = None,
        use_ssl: bool | None = None,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        **kwargs: Any,
    ) -> None:
        given = locals()
        options = {name: given[name] for name in OPTION_NAMES}
        if _MAILERS_API:
            # Django 6.1: the base class records the alias and reports unknown OPTIONS;
            # fail_silently is ours and is never passed on (it is deprecated there).
            super().__init__(alias=alias, **kwargs)
        else:
            super().__init__()
            if kwargs:
                warnings.warn(
                    f"lettr_django.EmailBackend ignores unknown options: "
                    f"{', '.join(sorted(kwargs))}",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self.alias = alias
        self.fail_silently = bool(fail_silently)
        self.config = build_config(options, alias=alias)
        try:
            self.mailer = self.mailer_class(self.config)
        except ConfigurationError as error:
            raise LettrImproperlyConfigured(str(error), setting=error.setting) from None
        self._lock = threading.RLock()
        self._is_open = False

    def __repr__(self) -> str:
        return f"<lettr_django.EmailBackend alias={self.alias!r} {self.config!r}>"

    # -- connection ---------------------------------------------------------------------
    def open(self) -> bool | None:
        """Open the doors' connections; True if newly opened, False if already open.

        Returns None when opening failed and ``fail_silently`` is set.
        """
        with self._lock:
            if self._is_open:
                return False
            try:
                self.mailer.open()
            except LettrError:
                if self.fail_silently:
                    return None
                raise
            self._is_open = True
            return True

    def close(self) -> None:
        """Close the doors' connections (they reopen on the next send)."""
        with self._lock:
            self._is_open = False
            try:
                self.mailer.close()
            except LettrError:
                if not self.fail_silently:
                    raise

    # -- sending ------------------------------------------------------------------------
    def send_messages(self, email_messages: Iterable[Any]) -> int:
        """Send every message of ``email_messages`` (any iterable, consumed once).

        Returns the number sent. Messages without recipients are skipped, as are messages a
        ``pre_send`` receiver cancels. Thread-safe: one backend may be shared by threads.
        """
        if not email_messages:
            return 0
        with self._lock:
            failures: list[tuple[int, Any, LettrError]] = []
            batch: list[tuple[int, Any, Email]] = []
            for index, message in enumerate(email_messages):
                if not message.recipients():
                    continue
                message.lettr_result = None
                message.lettr_error = None
                try:
                    email = to_email(
                        message, ignore_unsupported=self.config.ignore_unsupported_features
                    )
                except LettrError as error:
                    self._failed(index, message, error, failures)
                    continue
                if self._cancelled(message, email):
                    continue
                batch.append((index, message, email))
            sent = 0
            if batch:
                new_connection = self.open()
                if new_connection is None:
                    return 0
                try:
                    outcomes = self.mailer.send_many([email for _, _, email in batch])
                finally:
                    if new_connection:
                        self.close()
                for (index, message, _), outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, SendResult):
                        message.lettr_result = outcome
                        if outcome.accepted > 0 or outcome.rejected == 0:
                            sent += 1
                        post_send.send(
                            sender=type(self), message=message, result=outcome, error=None,
                            backend=self,
                        )
                    else:
                        self._failed(index, message, outcome, failures)
        if failures and not self.fail_silently:
            failures.sort(key=lambda failure: failure[0])
            first = failures[0][2]
            first.failures = [(message, error) for _, message, error in failures]  # type: ignore[attr-defined]
            raise first
        return sent

    def _cancelled(self, message: Any, email: Email) -> bool:
        try:
            answers = pre_send.send(
                sender=type(self), message=message, email=email, backend=self
            )
        except CancelSend:
            return True
        return any(answer is False for _, answer in answers)

    def _failed(
        self,
        index: int,
        message: Any,
        error: LettrError,
        failures: list[tuple[int, Any, LettrError]],
    ) -> None:
        message.lettr_result = error.partial_result
        message.lettr_error = error
        failures.append((index, message, error))
        post_send.send(
            sender=type(self), message=message, result=None, error=error, backend=self
        )

