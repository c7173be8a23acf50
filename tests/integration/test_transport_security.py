"""Transport security: the dev server stays on loopback unless told otherwise, and TLS
certificates are verified on both doors (an untrusted CA fails with a clear error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trustme

from lettr_core import Email, LettrConfig, Mailer
from lettr_core.devserver import DevServer
from lettr_core.devserver.cli import build_parser
from lettr_core.errors import TransportError
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64


def email() -> Email:
    return Email("shop@example.com", to=["ann@example.com"], subject="Hi", text="x")


def test_the_dev_server_binds_both_doors_to_loopback_by_default() -> None:
    with DevServer() as server:
        assert server.host == "127.0.0.1"
        assert server._http is not None
        assert server._http.socket.getsockname()[0] == "127.0.0.1"
        smtp_sockets = server._smtp.server.sockets
        assert smtp_sockets and all(s.getsockname()[0] == "127.0.0.1" for s in smtp_sockets)
    assert build_parser().parse_args([]).host == "127.0.0.1"


def test_the_dev_server_warns_before_listening_anywhere_else() -> None:
    with pytest.warns(RuntimeWarning, match="not on loopback"):
        DevServer(host="0.0.0.0")  # built, never started: nothing listens


def test_smtp_with_an_untrusted_ca_fails_clearly_before_login(
    smtp_server_factory: Callable[..., SmtpTestServer], tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = smtp_server_factory("starttls")
    other = trustme.CA()
    other.cert_pem.write_to_path(str(tmp_path / "other.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "other.pem"))
    with Mailer(server.config()) as mailer, pytest.raises(TransportError) as caught:
        mailer.send(email())
    assert "certificate verification failed" in str(caught.value)
    assert server.logins == [] and server.received == []


def test_the_api_over_https_with_an_untrusted_certificate_fails_clearly(
    smtp_server_factory: Callable[..., SmtpTestServer], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    # an implicit-TLS SMTP port is a TLS listener with a certificate from the test CA, which
    # the API door's requests does not trust: the handshake fails verification
    server = smtp_server_factory("ssl")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    config = LettrConfig.from_mapping(
        {"API_KEY": KEY, "API_URL": f"https://127.0.0.1:{server.port}", "MAX_RETRIES": 0},
        environ={})
    with Mailer(config) as mailer, pytest.raises(TransportError) as caught:
        mailer.send(email())
    assert "failed TLS verification" in str(caught.value)
    assert server.received == []
