"""The shared backend behaviours against the SMTP door: aiosmtpd with real TLS on 127.0.0.1."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import override_settings
from django.utils.translation import gettext_lazy

from lettr_core import AuthenticationError, UnsupportedFeature
from lettr_django.backend import EmailBackend

pytestmark = pytest.mark.integration

smtp_server_module = pytest.importorskip("tests.smtp_server")
SmtpTestServer = smtp_server_module.SmtpTestServer


def smtp_backend(server: Any, **options: Any) -> EmailBackend:
    """A backend whose SMTP door is ``server`` (keyword options, the strongest source)."""
    values: dict[str, Any] = {
        "transport": "smtp",
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": server.tls,
        "smtp_username": server.user,
        "smtp_password": server.password,
        "smtp_timeout": 10,
        "smtp_local_hostname": "client.localhost",
    }
    values.update(options)
    return EmailBackend(**values)


@pytest.fixture(params=["starttls", "ssl"])
def server(
    request: pytest.FixtureRequest,
    smtp_server_factory: Callable[..., Any],
    trust_smtp_ca: Any,
) -> Any:
    """A STARTTLS and an implicit-TLS server (each test runs against both)."""
    return smtp_server_factory(request.param)


def test_send(server: Any) -> None:
    message = EmailMessage("Subject", "Content", "from@example.com", ["to@example.com"])
    assert smtp_backend(server).send_messages([message]) == 1
    (received,) = server.received
    assert received.mail_from == "from@example.com"
    assert received.rcpt_tos == ["to@example.com"]
    parsed = received.message
    assert parsed["Subject"] == "Subject"
    assert parsed.get_content().strip() == "Content"
    assert message.lettr_result.transport == "smtp"
    assert message.lettr_result.request_id is None
    assert server.logins == [(server.user, True)]


def test_send_unicode_and_idn(server: Any) -> None:
    message = EmailMessage(
        "Chère maman", "Je t'aime très fort", "Jöhn <from@öäü.com>", ["to@öäü.com"]
    )
    assert smtp_backend(server).send_messages([message]) == 1
    (received,) = server.received
    assert received.rcpt_tos == ["to@xn--4ca9at.com"]
    parsed = received.message
    assert parsed["Subject"] == "Chère maman"
    assert "très" in parsed.get_content()
    assert "xn--4ca9at.com" in received.mail_from


def test_send_long_lines(server: Any) -> None:
    line = "Comment ça va? " * 100
    message = EmailMessage("Subject", line, "from@example.com", ["to@example.com"])
    smtp_backend(server).send_messages([message])
    (received,) = server.received
    assert all(len(raw) <= 998 for raw in received.data.split(b"\r\n"))
    assert received.message.get_content().strip() == line.strip()


def test_many_messages_from_a_generator_on_one_connection(server: Any) -> None:
    def messages() -> Iterator[EmailMessage]:
        for n in range(4):
            yield EmailMessage(f"S{n}", "Body", "from@example.com", [f"to{n}@example.com"])

    with smtp_backend(server) as connection:
        assert connection.send_messages(messages()) == 4
    assert [r.rcpt_tos for r in server.received] == [[f"to{n}@example.com"] for n in range(4)]
    assert server.connections == 1


def test_lazy_addresses(server: Any) -> None:
    message = EmailMessage(
        gettext_lazy("Subject"), gettext_lazy("Body"), gettext_lazy("from@example.com"),
        [gettext_lazy("to@example.com")],
    )
    assert smtp_backend(server).send_messages([message]) == 1
    assert server.received[0].rcpt_tos == ["to@example.com"]


def test_html_alternative_and_attachment(server: Any) -> None:
    message = EmailMultiAlternatives("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.attach("notes.txt", "some notes", "text/plain")
    smtp_backend(server).send_messages([message])
    parsed = server.received[0].message
    assert parsed.get_body(("html",)).get_content().strip() == "<p>HTML</p>"
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "notes.txt"


def test_close_and_context_manager(server: Any) -> None:
    connection = smtp_backend(server)
    connection.close()
    message = EmailMessage("S", "B", "from@example.com", ["to@example.com"])
    with connection:
        assert connection.send_messages([message]) == 1
        assert connection.send_messages([message]) == 1
    connection.close()
    assert len(server.received) == 2
    assert server.connections == 1


def test_bad_credentials_raise_the_smtp_error_class(server: Any) -> None:
    import smtplib

    message = EmailMessage("S", "B", "from@example.com", ["to@example.com"])
    with pytest.raises(AuthenticationError) as caught:
        smtp_backend(server, smtp_password="wrong").send_messages([message])
    assert isinstance(caught.value, smtplib.SMTPAuthenticationError)
    assert "wrong" not in str(caught.value)
    assert smtp_backend(server, smtp_password="wrong", fail_silently=True).send_messages(
        [message]
    ) == 0


def test_api_only_extras_on_the_smtp_door_are_refused(server: Any) -> None:
    message = EmailMessage("S", "B", "from@example.com", ["to@example.com"])
    message.template_id = "welcome"  # type: ignore[attr-defined]
    with override_settings(LETTR={}):  # no API key anywhere: the API door is closed
        connection = smtp_backend(server)
    with pytest.raises(UnsupportedFeature):
        connection.send_messages([message])
    assert server.received == []


def test_metadata_and_tag_travel_as_headers(server: Any) -> None:
    message = EmailMessage("S", "B", "from@example.com", ["to@example.com"])
    message.metadata = {"user": "42"}  # type: ignore[attr-defined]
    message.tag = "billing"  # type: ignore[attr-defined]
    smtp_backend(server).send_messages([message])
    parsed = server.received[0].message
    assert parsed["X-Lettr-Tag"] == "billing"
    assert '"user"' in parsed["X-Lettr-Metadata"]


def test_send_mail_mail_admins_and_managers_through_the_smtp_door(server: Any) -> None:
    options = {
        "TRANSPORT": "smtp", "SMTP_HOST": server.host, "SMTP_PORT": server.port,
        "SMTP_SECURITY": server.tls, "SMTP_USERNAME": server.user,
        "SMTP_PASSWORD": server.password, "SMTP_TIMEOUT": 10,
    }
    with override_settings(LETTR=options):
        assert mail.send_mail("Hello", "Body", "from@example.com", ["to@example.com"]) == 1
        mail.mail_admins("Down", "Body")
        mail.mail_managers("Report", "Body")
    subjects = [r.message["Subject"] for r in server.received]
    assert subjects == ["Hello", "[Django] Down", "[Django] Report"]
    assert server.received[1].rcpt_tos == ["admin@example.com"]


# -- step 1 of a migration: Django's own EMAIL_* settings, unchanged ------------------------


@pytest.fixture
def no_mailers() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Django 6.1 warns about each EMAIL_* use
        with override_settings():
            if hasattr(settings, "MAILERS"):
                del settings.MAILERS
            yield


@pytest.mark.usefixtures("no_mailers")
def test_email_settings_drive_the_smtp_door(
    smtp_server_factory: Callable[..., Any], trust_smtp_ca: Any
) -> None:
    server = smtp_server_factory("starttls")
    with override_settings(
        LETTR={}, EMAIL_HOST=server.host, EMAIL_PORT=server.port, EMAIL_USE_TLS=True,
        EMAIL_HOST_USER=server.user, EMAIL_HOST_PASSWORD=server.password, EMAIL_TIMEOUT=10,
    ):
        assert mail.send_mail("Step 1", "Body", "from@example.com", ["to@example.com"]) == 1
    assert server.received[0].message["Subject"] == "Step 1"
    assert server.logins == [(server.user, True)]


@pytest.mark.usefixtures("no_mailers")
def test_plaintext_email_host_on_loopback(smtp_server_factory: Callable[..., Any]) -> None:
    """A local dev server without TLS or AUTH (EMAIL_HOST=127.0.0.1, no user) still works."""
    server = smtp_server_factory("none", auth=False)
    with override_settings(LETTR={}, EMAIL_HOST=server.host, EMAIL_PORT=server.port):
        assert mail.send_mail("Local", "Body", "from@example.com", ["to@example.com"]) == 1
    assert server.received[0].message["Subject"] == "Local"


@pytest.mark.usefixtures("no_mailers")
def test_no_login_without_email_host_user_even_with_an_api_key(
    smtp_server_factory: Callable[..., Any],
) -> None:
    """Django logs in only when EMAIL_HOST_USER is set; the SMTP door does the same, and never
    offers the API key to the application's own server."""
    from .conftest import LETTR

    server = smtp_server_factory("none", auth=False)
    with override_settings(
        LETTR={**LETTR, "TRANSPORT": "smtp"}, EMAIL_HOST=server.host, EMAIL_PORT=server.port
    ):
        assert mail.send_mail("Local", "Body", "from@example.com", ["to@example.com"]) == 1
    assert server.logins == []


@pytest.mark.usefixtures("no_mailers")
def test_plaintext_to_a_remote_email_host_is_refused() -> None:
    with override_settings(LETTR={}, EMAIL_HOST="smtp.example.com", EMAIL_PORT=25), \
            pytest.raises(ImproperlyConfigured, match="requires TLS"):
        EmailBackend()


def test_lettr_sendtest_through_the_smtp_door(
    smtp_server_factory: Callable[..., Any], trust_smtp_ca: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from .conftest import LETTR

    server = smtp_server_factory("starttls")
    options = {
        **LETTR, "SMTP_HOST": server.host, "SMTP_PORT": server.port,
        "SMTP_USERNAME": server.user, "SMTP_PASSWORD": server.password, "SMTP_TIMEOUT": 10,
    }
    out = StringIO()
    with override_settings(LETTR=options):  # API key set: only --transport picks SMTP
        call_command("lettr_sendtest", "to@example.com", "--transport", "smtp", stdout=out)
    assert "smtp door" in out.getvalue()
    assert server.received[0].rcpt_tos == ["to@example.com"]
