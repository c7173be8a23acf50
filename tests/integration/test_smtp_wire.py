"""SmtpTransport against real aiosmtpd servers over loopback, with real TLS (trustme)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable

import pytest
import trustme

from lettr_core import Email, SmtpTransport
from lettr_core.errors import (
    AuthenticationError,
    InvalidRecipient,
    LettrError,
    RateLimited,
    ServerError,
    SmtpUtf8Unsupported,
    TransportError,
)
from tests.smtp_server import DROP, STALL, TEST_KEY, SmtpTestServer

pytestmark = pytest.mark.integration

Factory = Callable[..., SmtpTestServer]


def _email(**overrides: object) -> Email:
    values: dict[str, object] = {
        "from_email": "Shop <shop@example.com>",
        "to": ["ann@example.com"],
        "subject": "Your order",
        "text": "Thanks!",
    }
    values.update(overrides)
    return Email(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("server_fixture", ["smtp_server", "smtps_server"])
def test_sends_over_verified_tls_with_auth(
    server_fixture: str, request: pytest.FixtureRequest
) -> None:
    server: SmtpTestServer = request.getfixturevalue(server_fixture)
    mail = _email(cc=["cy@example.com"], bcc=["hidden@example.com"], html="<p>Thanks!</p>")
    with SmtpTransport(server.config()) as transport:
        assert transport.connection is not None
        assert isinstance(transport.connection.sock, ssl.SSLSocket)
        result = transport.send(mail)
    assert transport.connection is None
    assert (result.transport, result.request_id, result.status) == ("smtp", None, 250)
    assert (result.accepted, result.rejected) == (3, 0)
    assert server.logins == [("lettr", True)]
    [received] = server.received
    assert received.mail_from == "shop@example.com"
    assert received.rcpt_tos == ["ann@example.com", "cy@example.com", "hidden@example.com"]
    message = received.message
    assert message["Subject"] == "Your order"
    assert message["Cc"] == "cy@example.com"
    assert "Bcc" not in message
    assert b"hidden@example.com" not in received.data
    html = message.get_body(("html",))
    assert html is not None
    assert html.get_content().strip() == "<p>Thanks!</p>"


def test_one_session_is_reused_for_many_messages(smtp_server: SmtpTestServer) -> None:
    with SmtpTransport(smtp_server.config()) as transport:
        results = [transport.send(_email(subject=f"n{i}")) for i in range(3)]
    assert [r.accepted for r in results] == [1, 1, 1]
    assert smtp_server.connections == 1
    assert [m.message["Subject"] for m in smtp_server.received] == ["n0", "n1", "n2"]


def test_wrong_password_is_authentication_error_without_the_secret(
    smtp_server: SmtpTestServer,
) -> None:
    wrong = "lttr_" + "1" * 64
    transport = SmtpTransport(smtp_server.config(smtp_password=wrong))
    with pytest.raises(AuthenticationError) as caught:
        transport.send(_email())
    error = caught.value
    assert error.smtp_code == 535
    assert isinstance(error, smtplib.SMTPAuthenticationError)
    assert not error.retryable
    for text in (str(error), repr(error), error.body or "", repr(transport)):
        assert wrong not in text
        assert TEST_KEY not in text
    assert smtp_server.logins == [("lettr", False)]
    assert smtp_server.received == []
    assert transport.connection is None


def test_one_refused_recipient_of_two_is_reported_in_the_result(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.rcpt_replies["nobody@example.com"] = "550 5.1.1 No such user"
    with SmtpTransport(smtp_server.config()) as transport:
        result = transport.send(_email(to=["ann@example.com", "nobody@example.com"]))
    assert (result.accepted, result.rejected) == (1, 1)
    assert result.rejected_recipients == {"nobody@example.com": (550, "5.1.1 No such user")}
    assert result.ok
    assert smtp_server.received[0].rcpt_tos == ["ann@example.com"]


def test_every_recipient_refused_is_invalid_recipient_and_session_survives(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.rcpt_replies["nobody@example.com"] = "553 5.1.3 Bad address"
    with SmtpTransport(smtp_server.config()) as transport:
        with pytest.raises(InvalidRecipient) as caught:
            transport.send(_email(to=["nobody@example.com"]))
        assert caught.value.smtp_code == 553
        assert caught.value.recipients == {"nobody@example.com": (553, b"5.1.3 Bad address")}
        assert isinstance(caught.value, smtplib.SMTPRecipientsRefused)
        assert transport.send(_email()).accepted == 1
    assert smtp_server.connections == 1


def test_421_is_rate_limited_and_the_next_send_reconnects(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.mail_reply = "421 4.7.0 Too many messages, slow down"
    with SmtpTransport(smtp_server.config()) as transport:
        with pytest.raises(RateLimited) as caught:
            transport.send(_email())
        assert caught.value.smtp_code == 421
        assert caught.value.retryable
        assert transport.connection is None
        smtp_server.script.mail_reply = None
        assert transport.send(_email()).accepted == 1
    assert smtp_server.connections == 2


def test_451_after_data_is_a_retryable_server_error(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.data_reply = "451 4.3.0 Local error in processing"
    with SmtpTransport(smtp_server.config()) as transport, pytest.raises(ServerError) as caught:
        transport.send(_email())
    assert caught.value.smtp_code == 451
    assert caught.value.retryable


def test_a_dropped_session_is_reopened_once(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.messages_per_connection = 1
    with SmtpTransport(smtp_server.config()) as transport:
        first = transport.send(_email(subject="one"))
        second = transport.send(_email(subject="two"))
    assert (first.accepted, second.accepted) == (1, 1)
    assert smtp_server.connections == 2
    assert [m.message["Subject"] for m in smtp_server.received] == ["one", "two"]


def test_an_idle_session_closed_by_the_server_is_reopened(smtp_server: SmtpTestServer) -> None:
    with SmtpTransport(smtp_server.config()) as transport:
        transport.send(_email(subject="one"))
        smtp_server.drop_connections()
        assert transport.send(_email(subject="two")).accepted == 1
    assert smtp_server.connections == 2


def test_a_server_that_always_drops_gives_transport_error_after_one_reconnect(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.mail_reply = DROP
    transport = SmtpTransport(smtp_server.config())
    with pytest.raises(TransportError) as caught:
        transport.send(_email())
    assert "closed the connection" in str(caught.value)
    assert smtp_server.connections == 2
    transport.close()
    transport.close()  # idempotent


def test_send_many_reports_each_outcome_on_one_session(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.rcpt_replies["nobody@example.com"] = "550 5.1.1 No such user"
    mails = [_email(), _email(to=["nobody@example.com"]), _email(subject="last")]
    with SmtpTransport(smtp_server.config()) as transport:
        outcomes = transport.send_many(mails)
    assert [type(o).__name__ for o in outcomes] == ["SendResult", "InvalidRecipient", "SendResult"]
    assert smtp_server.connections == 1
    assert len(smtp_server.received) == 2


def test_send_many_does_not_reconnect_per_message_after_a_failed_login(
    smtp_server: SmtpTestServer,
) -> None:
    transport = SmtpTransport(smtp_server.config(smtp_password="lttr_" + "1" * 64))
    outcomes = transport.send_many([_email(), _email(), _email()])
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    assert smtp_server.connections == 1


def test_plaintext_to_loopback_works_when_explicitly_allowed(
    smtp_server_factory: Factory,
) -> None:
    server = smtp_server_factory("none")
    with SmtpTransport(server.config()) as transport:
        assert transport.send(_email()).accepted == 1
    assert server.logins == [("lettr", True)]


def test_starttls_mode_never_continues_in_plaintext(
    smtp_server_factory: Factory, trust_smtp_ca: object
) -> None:
    server = smtp_server_factory("starttls", offer_starttls=False)
    transport = SmtpTransport(server.config())
    with pytest.raises(TransportError, match="does not offer STARTTLS"):
        transport.send(_email())
    assert server.logins == []
    assert server.received == []


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_a_certificate_from_an_untrusted_ca_is_refused(
    tls: str, smtp_server_factory: Factory, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = smtp_server_factory(tls)
    other = trustme.CA()
    pem = f"{tmp_path}/other-ca.pem"
    other.cert_pem.write_to_path(pem)
    monkeypatch.setenv("SSL_CERT_FILE", pem)
    transport = SmtpTransport(server.config())
    with pytest.raises(TransportError) as caught:
        transport.send(_email())
    assert "certificate verification failed" in str(caught.value)
    assert "SSL_CERT_FILE" in str(caught.value)
    assert server.logins == []  # the password never left the client
    assert server.received == []


def test_smtputf8_is_used_for_a_non_ascii_local_part(smtp_server: SmtpTestServer) -> None:
    with SmtpTransport(smtp_server.config()) as transport:
        transport.send(_email(to=["jörg@bücher.example"]))
    [received] = smtp_server.received
    assert "SMTPUTF8" in received.mail_options
    assert received.rcpt_tos == ["jörg@xn--bcher-kva.example"]
    assert received.message["To"] == "jörg@xn--bcher-kva.example"


def test_non_ascii_local_part_without_smtputf8_is_refused_before_mail(
    smtp_server_factory: Factory, trust_smtp_ca: object
) -> None:
    server = smtp_server_factory("starttls", smtputf8=False)
    with SmtpTransport(server.config()) as transport:
        with pytest.raises(SmtpUtf8Unsupported):
            transport.send(_email(to=["jörg@example.com"]))
        assert transport.send(_email()).accepted == 1  # the session is still good
    assert len(server.received) == 1


def test_metadata_and_tag_travel_as_headers(smtp_server: SmtpTestServer) -> None:
    with SmtpTransport(smtp_server.config()) as transport:
        transport.send(_email(metadata={"order": 42, "plan": "pro"}, tag="receipt"))
    message = smtp_server.received[0].message
    assert message["X-Lettr-Metadata"] == '{"order":"42","plan":"pro"}'
    assert message["X-Lettr-Tag"] == "receipt"


def test_a_refused_connection_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from lettr_core import LettrConfig

    config = LettrConfig(transport="smtp", smtp_host="127.0.0.1", smtp_port=port,
                         smtp_security="none", smtp_timeout=5)
    with pytest.raises(TransportError, match="connection refused") as caught:
        SmtpTransport(config).send(_email())
    assert isinstance(caught.value, LettrError)
    assert caught.value.retryable


def test_close_after_the_server_went_away_is_clean(smtp_server: SmtpTestServer) -> None:
    transport = SmtpTransport(smtp_server.config())
    transport.open()
    smtp_server.drop_connections()
    transport.close()
    transport.close()
    assert transport.connection is None


def test_a_drop_during_data_is_not_retried(smtp_server: SmtpTestServer) -> None:
    smtp_server.script.data_reply = DROP
    transport = SmtpTransport(smtp_server.config())
    with pytest.raises(TransportError, match="may or may not"):
        transport.send(_email())
    assert smtp_server.connections == 1  # resending could deliver the message twice
    assert transport.connection is None


def test_temporary_refusal_of_every_recipient_is_a_server_error(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.rcpt_replies["ann@example.com"] = "450 4.2.1 Mailbox busy"
    with SmtpTransport(smtp_server.config()) as transport, pytest.raises(ServerError) as caught:
        transport.send(_email())
    assert caught.value.smtp_code == 450
    assert caught.value.retryable


def test_a_silent_server_times_out_as_a_transport_error() -> None:
    from lettr_core import LettrConfig

    with socket.socket() as silent:  # accepts the TCP connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        config = LettrConfig(transport="smtp", smtp_host="127.0.0.1",
                             smtp_port=silent.getsockname()[1], smtp_security="none",
                             smtp_timeout=0.3)
        with pytest.raises(TransportError, match="timed out"):
            SmtpTransport(config).send(_email())


def test_a_reply_that_never_comes_times_out_without_a_reconnect(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.mail_reply = STALL
    transport = SmtpTransport(smtp_server.config(smtp_timeout=0.3))
    with pytest.raises(TransportError, match="timed out"):
        transport.send(_email())
    assert smtp_server.connections == 1


def test_threads_share_one_session_safely(smtp_server: SmtpTestServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with SmtpTransport(smtp_server.config()) as transport, ThreadPoolExecutor(4) as pool:
        results = list(pool.map(
            lambda i: transport.send(_email(to=[f"r{i}@example.com"], subject=f"s{i}")),
            range(20),
        ))
    assert all(r.accepted == 1 for r in results)
    assert smtp_server.connections == 1
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == sorted(
        f"r{i}@example.com" for i in range(20))


def test_a_temporary_auth_failure_is_a_retryable_server_error(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.script.auth_reply = "454 4.7.0 Temporary authentication failure"
    with pytest.raises(ServerError) as caught:
        SmtpTransport(smtp_server.config()).send(_email())
    assert caught.value.smtp_code == 454
    assert not isinstance(caught.value, AuthenticationError)


def test_implicit_tls_against_a_starttls_port_says_to_check_the_security_setting(
    smtp_server: SmtpTestServer,
) -> None:
    with pytest.raises(TransportError, match="SMTP_SECURITY") as caught:
        SmtpTransport(smtp_server.config(smtp_security="ssl")).send(_email())
    assert "TLS failure" in str(caught.value)
