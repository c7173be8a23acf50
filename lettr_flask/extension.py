"""The ``Mail`` extension object, as in Flask-Mail 0.10, sending through Lettr."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from .config import build_lettr_config, read_mail_settings
from .connection import Connection
from .state import MailMixin, MailState


class Mail(MailMixin):
    """Flask-Mail's ``Mail``: ``Mail(app)`` or ``Mail()`` then ``init_app(app)`` per app.

    Unknown attributes are read from the state of the app given to the constructor (None
    when there is none), as Flask-Mail does, so ``mail.default_sender`` and friends work.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.app = app
        self.state: MailState | None = self.init_app(app) if app is not None else None

    def init_mail(
        self, config: Mapping[str, Any], debug: bool | int = False, testing: bool = False
    ) -> MailState:
        """Build a state from a configuration mapping (``MAIL_*`` and ``LETTR_*`` keys).

        Raises :class:`~lettr_core.ConfigurationError` for an invalid setting.
        """
        settings = read_mail_settings(config, debug, testing)
        return MailState(settings, build_lettr_config(config, settings))

    def init_app(self, app: Flask) -> MailState:
        """Read ``app.config``, register the state as ``app.extensions["mail"]``, add the
        ``flask lettr`` commands, and return the state."""
        state = self.init_mail(app.config, app.debug, app.testing)
        state.app = app
        app.extensions["mail"] = state
        from .cli import lettr_group

        if "lettr" not in app.cli.commands:
            app.cli.add_command(lettr_group)
        return state

    def connect(self) -> Connection:
        """A :class:`~lettr_flask.Connection` for this extension's app (else the current one)."""
        app = self.app or current_app
        state = app.extensions.get("mail")
        if state is None:
            raise RuntimeError("The current application was not configured with lettr_flask.Mail")
        connection: Connection = state.connect()
        return connection

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "state":
            raise AttributeError(name)
        return getattr(self.__dict__.get("state"), name, None)
