"""Which credentials the SMTP door logs in with (no I/O: the choice only)."""

from __future__ import annotations

from lettr_core import LettrConfig
from lettr_core.smtp import SmtpTransport

KEY = "lttr_" + "0" * 64


def credentials(**knobs: object) -> tuple[str, str] | None:
    return SmtpTransport(LettrConfig(transport="smtp", **knobs))._credentials()  # type: ignore[arg-type]


def test_an_empty_username_means_no_login_even_with_a_key_on_loopback() -> None:
    assert credentials(api_key=KEY, smtp_host="127.0.0.1", smtp_security="none",
                       smtp_username="") is None
    assert credentials(smtp_host="smtp.example.com", smtp_username="",
                       smtp_password="pw") is None


def test_lettrs_relay_always_gets_a_login() -> None:
    assert credentials(api_key=KEY, smtp_username="", smtp_password="") == ("lettr", KEY)


def test_an_unset_username_is_lettrs_user_with_the_key() -> None:
    assert credentials(api_key=KEY, smtp_host="127.0.0.1", smtp_security="none") == (
        "lettr", KEY
    )
    assert credentials(smtp_host="smtp.example.com", smtp_username="app",
                       smtp_password="pw") == ("app", "pw")
