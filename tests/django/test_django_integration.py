"""The backend inside Django: test runner, MAILERS, signals, commands, auth, logging."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from io import StringIO
from typing import Any

import django
import pytest
import responses
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.test.utils import setup_test_environment, teardown_test_environment

from lettr_django.backend import EmailBackend
from lettr_django.signals import CancelSend, post_send, pre_send

from .conftest import API, LETTR, MAILERS_API, FakeApi, lettr_error


def test_django_test_runner_swaps_in_locmem_and_nothing_reaches_the_network() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        setup_test_environment()
        try:
            mail.send_mail("Subject", "Body", "from@example.com", ["to@example.com"])
            assert [m.subject for m in mail.outbox] == ["Subject"]
        finally:
            teardown_test_environment()
        assert len(mock.calls) == 0


def test_the_configured_mailer_is_the_lettr_backend(api: FakeApi) -> None:
    if MAILERS_API:
        connection = mail.mailers["default"]
        assert connection.alias == "default"
    else:
        connection = mail.get_connection()
        assert connection.alias is None
    assert isinstance(connection, EmailBackend)


@pytest.mark.skipif(not MAILERS_API, reason="MAILERS is Django 6.1+")
def test_mailers_options_and_using(api: FakeApi) -> None:
    other = "lttr_" + "2" * 60 + "cafe"
    mailers = {
        "default": {"BACKEND": "lettr_django.EmailBackend"},
        "marketing": {
            "BACKEND": "lettr_django.EmailBackend",
            "OPTIONS": {"api_key": other, "fail_silently": True},
        },
    }
    with override_settings(MAILERS=mailers), warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated path may be taken
        connection = mail.mailers["marketing"]
        assert (connection.alias, connection.config.api_key) == ("marketing", other)
        assert connection.fail_silently is True
        assert mail.send_mail("S", "B", "from@example.com", ["to@example.com"],
                              using="marketing") == 1
        api.answer = lambda body: (500, lettr_error(500, "server_error", "down"))
        assert mail.send_mail("S", "B", "from@example.com", ["to@example.com"],
                              using="marketing") == 0
    assert api.headers[0]["Authorization"] == f"Bearer {other}"


@pytest.mark.skipif(MAILERS_API, reason="EMAIL_BACKEND is how Django < 6.1 chooses")
def test_email_backend_setting_and_fail_silently(api: FakeApi) -> None:
    api.answer = lambda body: (500, lettr_error(500, "server_error", "down"))
    assert mail.send_mail("S", "B", "from@example.com", ["to@example.com"],
                          fail_silently=True) == 0
    with pytest.raises(Exception, match="down"):
        mail.send_mail("S", "B", "from@example.com", ["to@example.com"])


# -- signals -------------------------------------------------------------------------------


@pytest.fixture
def receivers() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def before(sender: Any, message: Any, email: Any, backend: Any, **kwargs: Any) -> Any:
        seen.append(("pre", message.subject))
        if message.subject == "raise":
            raise CancelSend
        if message.subject == "false":
            return False
        email.metadata["checked"] = "yes"  # a receiver may adjust the core message
        return None

    def after(sender: Any, message: Any, result: Any, error: Any, **kwargs: Any) -> None:
        seen.append(("post", (message.subject, result is not None, error)))

    pre_send.connect(before)
    post_send.connect(after)
    yield seen
    pre_send.disconnect(before)
    post_send.disconnect(after)


def test_pre_send_can_cancel_and_post_send_sees_results(
    api: FakeApi, receivers: list[tuple[str, Any]]
) -> None:
    messages = [
        EmailMessage(subject, "B", "from@example.com", ["to@example.com"])
        for subject in ("raise", "false", "kept")
    ]
    assert EmailBackend().send_messages(messages) == 1
    assert api.body["subject"] == "kept"
    assert api.body["metadata"] == {"checked": "yes"}
    assert messages[0].lettr_result is None and messages[1].lettr_result is None
    assert receivers == [
        ("pre", "raise"), ("pre", "false"), ("pre", "kept"), ("post", ("kept", True, None)),
    ]


# -- management commands -------------------------------------------------------------------


def test_lettr_check_prints_the_team_id() -> None:
    out = StringIO()
    with responses.RequestsMock() as mock:
        mock.get(API + "/auth/check", json={
            "message": "API key is valid.",
            "data": {"team_id": 123, "timestamp": "2024-01-15T10:30:00.000Z"},
        })
        call_command("lettr_check", stdout=out)
    assert "team 123" in out.getvalue()


def test_lettr_check_explains_a_refused_key() -> None:
    with responses.RequestsMock() as mock:
        mock.get(API + "/auth/check", status=401,
                 json={"message": "Invalid API key.", "error_code": "unauthorized"})
        with pytest.raises(CommandError, match="Invalid API key"):
            call_command("lettr_check")


def test_lettr_check_without_a_key() -> None:
    with override_settings(LETTR={}), pytest.raises(CommandError, match="No Lettr API key"):
        call_command("lettr_check")


def test_lettr_check_with_a_bad_setting() -> None:
    with override_settings(LETTR={**LETTR, "TRANSPORT": "pigeon"}), pytest.raises(
        CommandError, match="TRANSPORT"
    ):
        call_command("lettr_check")


def test_lettr_sendtest_prints_the_request_id(api: FakeApi) -> None:
    out = StringIO()
    call_command("lettr_sendtest", "to@example.com", "--transport", "api", stdout=out)
    assert "request id req-1" in out.getvalue()
    assert api.body["to"] == ["to@example.com"]
    assert api.body["from"] == "webmaster@example.com"


def test_lettr_sendtest_reports_a_failure(api: FakeApi) -> None:
    api.answer = lambda body: (422, {"message": "The from domain is not verified.",
                                     "error_code": "validation_error",
                                     "errors": {"from": ["The from domain is not verified."]}})
    with pytest.raises(CommandError, match="not verified"):
        call_command("lettr_sendtest", "to@example.com")


def test_djangos_sendtestemail_works_through_the_backend(api: FakeApi) -> None:
    call_command("sendtestemail", "to@example.com")
    assert api.body["to"] == ["to@example.com"]
    assert "Test email from" in api.body["subject"]


# -- Django features that send mail --------------------------------------------------------


def test_admin_email_handler(api: FakeApi) -> None:
    from django.utils.log import AdminEmailHandler

    logger = logging.getLogger("lettr-tests.admin")
    logger.propagate = False
    handler = AdminEmailHandler()
    logger.addHandler(handler)
    try:
        logger.error("Something exploded")
    finally:
        logger.removeHandler(handler)
    assert "Something exploded" in api.body["subject"]
    assert api.body["subject"].startswith("[Django] ")
    assert api.body["to"] == ["admin@example.com"]


def test_admin_email_handler_never_raises(api: FakeApi) -> None:
    """Django < 6.1 builds the handler's backend with fail_silently=True; on 6.1 the project
    gives the handler a mailer whose OPTIONS say fail_silently (Django's migration advice)."""
    from django.utils.log import AdminEmailHandler

    api.answer = lambda body: (500, lettr_error(500, "server_error", "down"))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    if MAILERS_API:
        mailers = {
            "default": {"BACKEND": "lettr_django.EmailBackend"},
            "logging": {"BACKEND": "lettr_django.EmailBackend",
                        "OPTIONS": {"fail_silently": True}},
        }
        with override_settings(MAILERS=mailers):
            AdminEmailHandler(using="logging").emit(record)
    else:
        AdminEmailHandler().emit(record)
    assert len(api.bodies) == 1


@pytest.fixture
def database() -> Iterator[None]:
    from django.db import connection

    call_command("migrate", run_syncdb=True, verbosity=0)
    yield
    connection.close()


@pytest.mark.usefixtures("database")
def test_password_reset_mail(api: FakeApi) -> None:
    from django.contrib.auth.forms import PasswordResetForm
    from django.contrib.auth.models import User

    User.objects.create_user("ada", "ada@example.com", "pw-" + "x" * 12)
    form = PasswordResetForm({"email": "ada@example.com"})
    assert form.is_valid()
    form.save(
        domain_override="example.com",
        subject_template_name="registration/password_reset_subject.txt",
        email_template_name="registration/password_reset_email.html",
    )
    body = api.body
    assert body["to"] == ["ada@example.com"]
    assert "example.com" in body["subject"]
    assert "/reset/" in body["text"]


def test_version_specific_routing_is_what_the_matrix_expects() -> None:
    from django.conf import settings

    assert hasattr(settings, "MAILERS") is (django.VERSION >= (6, 1))


@pytest.mark.skipif(not MAILERS_API, reason="MAILERS is Django 6.1+")
def test_deprecated_get_connection_with_fail_silently_under_mailers(api: FakeApi) -> None:
    """Django 6.1 passes fail_silently and _ignore_unknown_kwargs to the default mailer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        connection = mail.get_connection(fail_silently=True)
    assert isinstance(connection, EmailBackend)
    assert (connection.alias, connection.fail_silently) == ("default", True)
