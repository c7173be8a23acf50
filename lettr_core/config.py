"""``LettrConfig``: every knob of lettr-mail, read from a mapping with environment fallback.

The mapping uses the Django ``LETTR = {...}`` spelling (``API_KEY``, ``TRANSPORT``, ...);
lower-case keys (Django 6.1 ``MAILERS`` options) are accepted too. A knob missing from the
mapping falls back to ``LETTR_<KNOB>`` in the environment, then to its default.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ConfigurationError
from .limits import DEFAULT_RATE_LIMIT

DEFAULT_API_URL = "https://app.lettr.com/api"
DEFAULT_SMTP_HOST = "smtp.lettr.com"
DEFAULT_SMTP_USERNAME = "lettr"
SMTP_SECURITY_MODES = ("starttls", "ssl", "none")
_IMPLICIT_TLS_PORTS = (465, 2465)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def mask_secret(secret: str | None) -> str | None:
    """Show a secret as ``lttr_…<last 4>`` (or ``…<last 4>``), never whole."""
    if not secret:
        return None
    prefix = "lttr_" if secret.startswith("lttr_") else ""
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"{prefix}…{tail}"


def shown_value(value: object) -> str:
    """A setting's bad value for an error message: quoted when it looks like a word (a typo
    such as ``'tls'``), else only its length, since it may be a secret pasted in the wrong
    place."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    text = str(value)
    word = re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,11}", text) and not text.lower().startswith(
        "lttr"
    )
    if word or re.fullmatch(r"-?[0-9]{1,6}(\.[0-9]{1,6})?", text):
        return repr(text)
    return f"a value of {len(text)} characters"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, repr=False)
class LettrConfig:
    """Every knob, validated when built: a bad setting is a :class:`ConfigurationError`.

    Build it with :meth:`from_mapping`; the constructor takes the same knobs as keywords.
    """

    api_key: str | None = None
    api_url: str = DEFAULT_API_URL
    transport: str | None = None
    api_percent: float = 100.0
    fallback_to_smtp: bool = False
    max_retries: int = 3
    retry_deadline: float = 60.0
    timeout: tuple[float, float] = (10.0, 30.0)
    rate_limit: float | None = None
    max_workers: int = 8
    send_defaults: Mapping[str, Any] = field(default_factory=dict)
    ignore_unsupported_features: bool = False
    smtp_host: str = DEFAULT_SMTP_HOST
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str | None = None
    smtp_timeout: float = 30.0
    smtp_local_hostname: str | None = None
    smtp_ssl_certfile: str | None = None
    smtp_ssl_keyfile: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.api_key is not None:
            key = str(self.api_key).strip()
            if not key:
                key = None  # type: ignore[assignment]
            elif not key.startswith("lttr_"):
                raise ConfigurationError(
                    "API_KEY does not look like a Lettr key: Lettr keys start with 'lttr_'",
                    setting="API_KEY",
                )
            set_(self, "api_key", key)
        transport = self.transport or ("api" if self.api_key else "smtp")
        transport = str(transport).lower()
        if transport not in ("api", "smtp"):
            raise ConfigurationError(
                f"TRANSPORT must be 'api' or 'smtp', not {shown_value(self.transport)}",
                setting="TRANSPORT",
            )
        if transport == "api" and not self.api_key:
            raise ConfigurationError(
                "TRANSPORT is 'api' but no API key is set: set API_KEY (LETTR_API_KEY)",
                setting="API_KEY",
            )
        set_(self, "transport", transport)
        if not 0 <= self.api_percent <= 100:
            raise ConfigurationError(
                f"API_PERCENT must be between 0 and 100, not {self.api_percent}",
                setting="API_PERCENT",
            )
        if self.max_retries < 0:
            raise ConfigurationError("MAX_RETRIES must be 0 or more", setting="MAX_RETRIES")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigurationError("RATE_LIMIT must be above 0", setting="RATE_LIMIT")
        if self.max_workers < 1:
            raise ConfigurationError("MAX_WORKERS must be 1 or more", setting="MAX_WORKERS")
        if not self.api_url.startswith(("https://", "http://")):
            raise ConfigurationError("API_URL must be an http(s) URL", setting="API_URL")
        set_(self, "api_url", self.api_url.rstrip("/"))
        if not isinstance(self.send_defaults, Mapping):
            raise ConfigurationError("SEND_DEFAULTS must be a mapping", setting="SEND_DEFAULTS")
        security = self.smtp_security
        if security is None:
            security = "ssl" if self.smtp_port in _IMPLICIT_TLS_PORTS else "starttls"
        security = str(security).lower()
        if security not in SMTP_SECURITY_MODES:
            raise ConfigurationError(
                f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_MODES)}, "
                f"not {shown_value(security)}",
                setting="SMTP_SECURITY",
            )
        if security == "none" and not is_loopback_host(self.smtp_host):
            raise ConfigurationError(
                f"SMTP_SECURITY='none' (plaintext) is only allowed to a loopback host, "
                f"not {self.smtp_host!r}: Lettr's relay requires TLS",
                setting="SMTP_SECURITY",
            )
        set_(self, "smtp_security", security)
        if self.smtp_port is None:
            set_(self, "smtp_port", 465 if security == "ssl" else 587)

    # -- derived values -------------------------------------------------------------------
    @property
    def smtp_user(self) -> str:
        """The SMTP username: the setting, else Lettr's ``lettr``."""
        return self.smtp_username if self.smtp_username is not None else DEFAULT_SMTP_USERNAME

    @property
    def smtp_secret(self) -> str | None:
        """The SMTP password: the setting, else the API key (Lettr's relay takes the key)."""
        return self.smtp_password if self.smtp_password is not None else self.api_key

    @property
    def initial_rate_limit(self) -> float:
        """Requests per second before the API reports its own limit."""
        return self.rate_limit or DEFAULT_RATE_LIMIT

    def replace(self, **changes: Any) -> LettrConfig:
        """A copy with ``changes`` applied (and validated)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if "transport" not in changes and self.transport == "api" and not changes.get(
            "api_key", self.api_key
        ):
            values["transport"] = None
        values.update(changes)
        return LettrConfig(**values)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("api_key", "smtp_password"):
                value = mask_secret(value)
            shown.append(f"{f.name}={value!r}")
        return f"LettrConfig({', '.join(shown)})"

    # -- reading settings -----------------------------------------------------------------
    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> LettrConfig:
        """Build from the ``LETTR``-dict spelling, falling back to ``LETTR_*`` variables.

        ``overrides`` (lower-case knob names) win over both. Unknown keys are an error, so a
        typo in a setting name is caught instead of silently ignored.
        """
        env = os.environ if environ is None else environ
        given: dict[str, Any] = {}
        for key, value in (mapping or {}).items():
            name = str(key).lower()
            if name not in _KNOBS:
                raise ConfigurationError(
                    f"unknown Lettr setting {key!r}; known: "
                    f"{', '.join(sorted(k.upper() for k in _KNOBS))}",
                    setting=str(key),
                )
            given[name] = value
        for name, value in overrides.items():
            if name not in _KNOBS:
                raise ConfigurationError(f"unknown Lettr setting {name!r}", setting=name)
            given[name] = value
        for name in _KNOBS:
            if name not in given:
                env_value = env.get(f"LETTR_{name.upper()}")
                if env_value is not None and env_value != "":
                    given[name] = env_value
        kwargs = {name: _coerce(name, value) for name, value in given.items()}
        return cls(**kwargs)


_KNOBS = {f.name: f for f in fields(LettrConfig)}
_BOOL_KNOBS = {"fallback_to_smtp", "ignore_unsupported_features"}
_INT_KNOBS = {"max_retries", "max_workers", "smtp_port"}
_FLOAT_KNOBS = {"api_percent", "retry_deadline", "rate_limit", "smtp_timeout"}
_STR_KNOBS = {
    "api_key", "api_url", "transport", "smtp_host", "smtp_username", "smtp_password",
    "smtp_security", "smtp_local_hostname", "smtp_ssl_certfile", "smtp_ssl_keyfile",
}


def _coerce(name: str, value: Any) -> Any:
    if value is None:
        return None if name not in _BOOL_KNOBS else False
    try:
        return _convert(name, value)
    except (TypeError, ValueError):
        pass
    # raised outside the except block, so it carries no context: the ValueError's text
    # repeats the value, which may be a secret pasted into the wrong setting
    setting = name.upper()
    raise ConfigurationError(
        f"{setting} has an invalid value: {shown_value(value)} ({type(value).__name__})",
        setting=setting,
    )


def _convert(name: str, value: Any) -> Any:
    """``value`` as the type of knob ``name``; TypeError/ValueError when it is not one."""
    if name in _BOOL_KNOBS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(value)
    if name in _INT_KNOBS:
        if isinstance(value, bool):
            raise ValueError(value)
        return int(value)
    if name in _FLOAT_KNOBS:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if name == "timeout":
        return _coerce_timeout(value)
    if name == "send_defaults":
        return json.loads(value) if isinstance(value, str) else value
    if name in _STR_KNOBS:
        return str(value)
    return value


def _coerce_timeout(value: Any) -> tuple[float, float]:
    if isinstance(value, str):
        parts = [p for p in value.replace(",", " ").split() if p]
        value = [float(p) for p in parts]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value), float(value))
    connect, read = value
    return (float(connect), float(read))
