"""No secret leaks: every error path, with every logger at DEBUG, keeps the API key and the SMTP
password out of log records, exception text, ``repr()`` and the dev server's pages.

The secrets are distinctive fake values, so a leak anywhere is found by a plain substring
search; their base64 forms (what SMTP AUTH PLAIN/LOGIN put on the wire) are searched too.
"""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import responses
import trustme

from lettr_core import Email, LettrConfig, Mailer, SendResult
from lettr_core.api import ApiTransport
from lettr_core.devserver import DevServer
from lettr_core.errors import ConfigurationError, LettrError
from lettr_core.smtp import SmtpTransport
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.integration

API_KEY = "lttr_" + "5eC12e7" * 9 + "x"
SMTP_PASSWORD = "s3cr3t-smtp-pass-XYZ"
#: the tails a mask may show are too short to matter; these are the fragments searched for
SECRETS = (API_KEY, API_KEY.removeprefix("lttr_"), SMTP_PASSWORD)


def _needles() -> list[str]:
    needles = list(SECRETS)
    for secret in (API_KEY, SMTP_PASSWORD):
        for user in ("lettr", "mailer"):
            plain = f"\0{user}\0{secret}".encode()
            needles.append(base64.b64encode(plain).decode())
        needles.append(base64.b64encode(secret.encode()).decode())
    return needles


NEEDLES = _needles()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Seen:
    """Everything a scenario produced that a person or a log shipper might read."""

    errors: list[BaseException] = field(default_factory=list)
    objects: list[object] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    def error(self, action: Callable[[], object]) -> BaseException:
        """Run ``action``, which must raise; keep the exception."""
        try:
            outcome = action()
        except Exception as exc:
            self.errors.append(exc)
            return exc
        if isinstance(outcome, list):  # send_many: errors are returned, not raised
            found = [item for item in outcome if isinstance(item, BaseException)]
            assert found, f"expected an error, got {outcome!r}"
            self.errors.extend(found)
            return found[0]
        raise AssertionError(f"expected an error, got {outcome!r}")


def _exception_texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        yield "".join(traceback.format_exception(current))
        for name in ("message", "body", "errors", "headers", "smtp_error", "recipients"):
            if hasattr(current, name):
                yield repr(getattr(current, name))
        # every chained exception, even a suppressed context (error trackers read them)
        stack.extend([current.__cause__, current.__context__])


def _record_texts(record: logging.LogRecord) -> Iterator[str]:
    yield record.getMessage()
    yield repr(record.msg)
    yield repr(record.args)
    if record.exc_info:
        yield "".join(traceback.format_exception(*record.exc_info))
    if record.exc_text:
        yield record.exc_text


def assert_no_secret(seen: Seen, caplog: pytest.LogCaptureFixture) -> None:
    """Search everything seen and every log record for every form of every secret."""
    places: list[tuple[str, str]] = []
    for exc in seen.errors:
        places.extend((f"exception {type(exc).__name__}", t) for t in _exception_texts(exc))
    for obj in seen.objects:
        places.append((f"repr of {type(obj).__name__}", repr(obj)))
        places.append((f"str of {type(obj).__name__}", str(obj)))
    places.extend((f"page {name}", text) for name, text in seen.texts.items())
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        places.extend((f"log {record.name}:{record.levelname}", t) for t in _record_texts(record))
    assert records or seen.errors or seen.texts, "the scenario produced nothing to check"
    for where, text in places:
        for needle in NEEDLES:
            assert needle.lower() not in text.lower(), (
                f"a secret leaked into {where}: {text[:300]!r}"
            )


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture) -> Iterator[Seen]:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    result = Seen()
    yield result
    assert_no_secret(result, caplog)


def api_config(url: str, **extra: Any) -> LettrConfig:
    return LettrConfig.from_mapping(
        {"API_KEY": API_KEY, "API_URL": url, "MAX_RETRIES": 1, **extra}, environ={}
    )


def email(**extra: Any) -> Email:
    fields: dict[str, Any] = {"from_email": "Shop <shop@example.com>", "to": ["ann@example.com"],
                              "subject": "Hi", "text": "Hello", **extra}
    return Email(**fields)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    import lettr_core.timing

    monkeypatch.setattr(lettr_core.timing, "sleep", lambda seconds: None)


# -- the API door against the dev server --------------------------------------------------


@pytest.mark.parametrize(
    "knobs",
    [
        {"api_key": "lttr_" + "0" * 64},  # 401: the server knows another key
        {"throttle_rate": 1.0, "retry_after": 1},  # 429
        {"fail_rate": 1.0, "fail_status": 503},  # 5xx
        {"reset_rate": 1.0},  # connection dropped before the answer
        {"lost_reply_rate": 1.0},  # stored, answer lost
    ],
    ids=["401", "429", "503", "dropped", "lost-reply"],
)
def test_api_error_paths_against_the_dev_server(
    knobs: dict[str, Any], devserver_factory: Callable[..., DevServer], seen: Seen
) -> None:
    server = devserver_factory(**knobs)
    config = api_config(server.api_url)
    with Mailer(config) as mailer:
        if knobs.get("lost_reply_rate"):  # the retry gets the stored answer: no error
            seen.objects.append(mailer.send(email()))
        else:
            seen.error(lambda: mailer.send(email()))
            seen.error(lambda: mailer.send_many([email(), email(subject="Two")]))
        seen.objects.extend([config, mailer, mailer.api, email()])
    seen.objects.append(server)


def _echoing(status: int, error_code: str | None, **extra: Any) -> Callable[..., Any]:
    """A hostile or buggy server (or proxy) that echoes the request's headers back."""

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        auth = str(request.headers.get("Authorization"))
        body = {"message": f"refused: {auth}", "error_code": error_code,
                "errors": {"auth": [auth]}, **extra}
        import json

        return status, {"X-Echo": auth, "Retry-After": "0"}, json.dumps(body)

    return reply


@pytest.mark.parametrize(
    ("status", "error_code"),
    [
        (400, "invalid_domain"), (401, None), (403, "insufficient_scope"),
        (404, "template_not_found"), (409, "conflict"), (422, "validation_error"),
        (429, "rate_limit_exceeded"), (429, "quota_exceeded"), (500, "send_error"),
        (502, "transmission_failed"),
    ],
)
def test_api_errors_never_repeat_the_key_even_when_the_server_echoes_it(
    status: int, error_code: str | None, seen: Seen
) -> None:
    url = "https://api.lettr.test"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, url + "/emails",
                          callback=_echoing(status, error_code))
        with Mailer(api_config(url)) as mailer:
            error = seen.error(lambda: mailer.send(email()))
            seen.objects.append(mailer.api)
    assert isinstance(error, LettrError) and error.status == status
    assert "lttr_" in str(error)  # the echo is still there, masked: the error stays useful


def test_connection_refused_and_tls_failure(
    devserver: DevServer, seen: Seen
) -> None:
    with Mailer(api_config(f"http://127.0.0.1:{closed_port()}")) as mailer:
        seen.error(lambda: mailer.send(email()))
    # https to a plain HTTP port: the TLS handshake fails
    with Mailer(api_config(f"https://127.0.0.1:{devserver.http_port}")) as mailer:
        seen.error(lambda: mailer.send(email()))
        seen.error(lambda: mailer.check_auth())


def test_fallback_to_an_smtp_server_that_refuses_the_login(
    smtp_server: SmtpTestServer, seen: Seen
) -> None:
    config = smtp_server.config(api_key=API_KEY, transport="api", fallback_to_smtp=True,
                                smtp_password=SMTP_PASSWORD, max_retries=1,
                                api_url=f"http://127.0.0.1:{closed_port()}")
    with Mailer(config) as mailer:
        seen.error(lambda: mailer.send(email()))
        seen.error(lambda: mailer.send_many([email(), email(subject="Two")]))
        seen.objects.extend([config, mailer, mailer.smtp, mailer.api])


# -- the SMTP door ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", [SMTP_PASSWORD, None], ids=["smtp-password", "api-key"])
def test_smtp_535(password: str | None, smtp_server: SmtpTestServer, seen: Seen) -> None:
    config = smtp_server.config(api_key=API_KEY, smtp_password=password)
    transport = SmtpTransport(config)
    seen.error(lambda: transport.send(email()))
    seen.error(lambda: transport.send_many([email(), email()]))
    seen.objects.extend([config, transport])
    assert smtp_server.logins and not any(ok for _, ok in smtp_server.logins)


def test_smtp_tls_failures_and_refused_connection(
    smtp_server_factory: Callable[..., SmtpTestServer], tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch, seen: Seen,
) -> None:
    server = smtp_server_factory("starttls")
    other = trustme.CA()
    pem = str(tmp_path / "other-ca.pem")
    other.cert_pem.write_to_path(pem)
    monkeypatch.setenv("SSL_CERT_FILE", pem)  # a CA that did not sign the server's cert
    config = server.config(api_key=API_KEY, smtp_password=SMTP_PASSWORD)
    seen.error(lambda: SmtpTransport(config).send(email()))
    implicit = server.config(smtp_password=SMTP_PASSWORD, smtp_security="ssl")
    seen.error(lambda: SmtpTransport(implicit).send(email()))
    refused = server.config(smtp_password=SMTP_PASSWORD, smtp_port=closed_port())
    seen.error(lambda: SmtpTransport(refused).send(email()))
    assert server.logins == []


# -- configuration errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"API_KEY": API_KEY.replace("lttr_", "sk_live_")},  # a key without the prefix
        {"API_KEY": " " + API_KEY.replace("lttr_", "LTTR-")},
        {"API_KEY": API_KEY, "TRANSPORT": API_KEY},  # the key pasted into the wrong setting
        {"API_KEY": API_KEY, "API_URL": API_KEY},
        {"API_KEY": API_KEY, "SMTP_SECURITY": SMTP_PASSWORD},
        {"API_KEY": API_KEY, "SMTP_PORT": SMTP_PASSWORD},
        {"API_KEY": API_KEY, "API_PERCENT": API_KEY},
        {"API_KEY": API_KEY, "TIMEOUT": SMTP_PASSWORD},
        {"API_KEY": API_KEY, "SEND_DEFAULTS": SMTP_PASSWORD},
        {"API_KEY": API_KEY, "SMTP_PASSWORD": SMTP_PASSWORD, "SMTP_SECURITY": "none",
         "SMTP_HOST": "smtp.example.com"},
    ],
    ids=["no-prefix", "bad-prefix", "key-as-transport", "key-as-url", "password-as-security",
         "password-as-port", "key-as-percent", "password-as-timeout",
         "password-as-send-defaults", "plaintext-remote"],
)
def test_configuration_errors(settings: dict[str, Any], seen: Seen) -> None:
    error = seen.error(lambda: LettrConfig.from_mapping(settings, environ={}))
    assert isinstance(error, ConfigurationError)


def test_configuration_from_the_environment(seen: Seen) -> None:
    env = {"LETTR_API_KEY": API_KEY, "LETTR_SMTP_PASSWORD": SMTP_PASSWORD,
           "LETTR_MAX_RETRIES": API_KEY}
    seen.error(lambda: LettrConfig.from_mapping(environ=env))
    good = LettrConfig.from_mapping(environ={**env, "LETTR_MAX_RETRIES": "2"})
    seen.objects.extend([good, Mailer(good), ApiTransport(good), SmtpTransport(good)])
    seen.objects.append(good.replace(smtp_host="127.0.0.1"))


def test_reprs_of_everything(seen: Seen) -> None:
    config = LettrConfig.from_mapping(
        {"API_KEY": API_KEY, "SMTP_PASSWORD": SMTP_PASSWORD}, environ={})
    result = SendResult("123", 1, 0, "api", idempotency_key="k")
    seen.objects.extend([config, Mailer(config), ApiTransport(config), SmtpTransport(config),
                         email(), result])
    seen.texts["vars(config)-free repr"] = repr(config)
    assert "lttr_" in repr(config)  # a masked key is shown, so a person sees one is set


# -- the dev server's pages ---------------------------------------------------------------------


def test_dev_server_pages_never_show_a_key(
    devserver_factory: Callable[..., DevServer], monkeypatch: pytest.MonkeyPatch, seen: Seen
) -> None:
    server = devserver_factory(api_key=API_KEY)
    config = api_config(server.api_url)
    with ApiTransport(config) as api:
        result = api.send(email(metadata={"note": "hello"}))
    # the relay takes the key as SMTP password (user lettr), like Lettr's, after STARTTLS
    assert server.ca_path is not None
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_path)
    smtp = LettrConfig.from_mapping(
        {"API_KEY": API_KEY, "TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1",
         "SMTP_PORT": server.smtp_port}, environ={})
    with SmtpTransport(smtp) as transport:
        transport.send(email(subject="over smtp", metadata={"k": "v"}))
    # a wrong key at both doors
    wrong = api_config(server.api_url).replace(api_key="lttr_" + "1" * 64)
    seen.error(lambda: ApiTransport(wrong).send(email()))
    seen.error(lambda: SmtpTransport(smtp.replace(smtp_password=SMTP_PASSWORD)).send(email()))
    assert len(server.messages()) == 2
    [stored] = [m for m in server.messages() if m["request_id"] == result.request_id]
    base = server.api_url
    pages = ["/", "/_dev/messages", "/_dev/messages?door=api", f"/_dev/view/{stored['id']}",
             f"/_dev/messages/{stored['id']}", f"/_dev/messages/{stored['id']}/html",
             "/_dev/stats", "/_dev/config", "/_dev/view/999999"]
    for page in pages:
        response = requests.get(base + page, timeout=10)
        seen.texts[page] = response.text
        seen.texts[page + " headers"] = repr(dict(response.headers))
    seen.objects.append(server)


# -- lettr_flask ----------------------------------------------------------------------------------


def flask_app(**config: Any) -> Any:
    from flask import Flask

    app = Flask("secrets")
    app.config.update({"MAIL_DEFAULT_SENDER": "shop@example.com", "LETTR_MAX_RETRIES": 1,
                       **config})
    return app


def test_flask_error_paths_and_debug_output(
    smtp_server_factory: Callable[..., SmtpTestServer], trust_smtp_ca: Any,
    devserver_factory: Callable[..., DevServer], capsys: pytest.CaptureFixture[str], seen: Seen,
) -> None:
    from lettr_flask import Mail, Message

    server = smtp_server_factory("starttls", password=SMTP_PASSWORD)
    api = devserver_factory(api_key="lttr_" + "0" * 64)  # knows another key: 401
    smtp_settings = {"MAIL_SERVER": server.host, "MAIL_PORT": server.port, "MAIL_USE_TLS": True,
                     "MAIL_USERNAME": "lettr", "MAIL_DEBUG": True}
    # a good login with MAIL_DEBUG on: smtplib prints the dialogue, after AUTH only
    good = flask_app(LETTR_API_KEY=API_KEY, LETTR_TRANSPORT="smtp", MAIL_PASSWORD=SMTP_PASSWORD,
                     **smtp_settings)
    mail = Mail(good)
    with good.app_context():
        message = Message("Hi", recipients=["ann@example.com"], body="x")
        mail.send(message)
        seen.objects.extend([mail, good.extensions["mail"], message, message.lettr_result])
    assert len(server.received) == 1
    # a refused login (535) and a refused key (401)
    bad = flask_app(LETTR_API_KEY=API_KEY, LETTR_API_URL=api.api_url, LETTR_TRANSPORT="smtp",
                    MAIL_PASSWORD=SMTP_PASSWORD + "-old", **smtp_settings)
    bad_mail = Mail(bad)
    with bad.app_context():
        seen.error(lambda: bad_mail.send(Message("Hi", recipients=["a@example.com"], body="x")))
        connection = bad_mail.connect()
        seen.objects.append(connection)
        seen.error(lambda: bad_mail.send(Message("Hi", recipients=["a@example.com"], body="x",
                                                 lettr_transport="api")))
    runner = bad.test_cli_runner()
    for args in (["lettr", "check", "--smtp"], ["lettr", "send-test", "a@example.com"],
                 ["lettr", "send-test", "a@example.com", "--transport", "api"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        seen.texts[" ".join(args)] = result.output
    seen.error(lambda: Mail(flask_app(LETTR_API_KEY=API_KEY.replace("lttr_", "key_"))))
    seen.error(lambda: Mail(flask_app(LETTR_API_KEY=API_KEY, LETTR_MAX_RETRIES=API_KEY)))
    output = capsys.readouterr()
    seen.texts["stdout"] = output.out
    seen.texts["stderr (MAIL_DEBUG)"] = output.err
    assert output.err, "MAIL_DEBUG printed nothing: the check above would be vacuous"


# -- lettr_django ---------------------------------------------------------------------------------


def test_django_error_paths_checks_and_commands(
    smtp_server: SmtpTestServer, devserver_factory: Callable[..., DevServer], seen: Seen,
) -> None:
    import io

    from django.core import checks
    from django.core.mail import EmailMessage
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test import override_settings

    import tests.django.conftest  # noqa: F401  (configures Django settings on import)
    from lettr_django import EmailBackend

    api = devserver_factory(api_key="lttr_" + "0" * 64)  # knows another key: 401
    lettr = {"API_KEY": API_KEY, "API_URL": api.api_url, "MAX_RETRIES": 1,
             "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port,
             "SMTP_PASSWORD": SMTP_PASSWORD, "SMTP_TIMEOUT": 10}

    def message(**extra: Any) -> Any:
        built = EmailMessage("Hi", "x", "shop@example.com", ["ann@example.com"])
        for name, value in extra.items():
            setattr(built, name, value)
        return built

    with override_settings(LETTR=lettr):
        backend = EmailBackend()
        seen.objects.extend([backend, backend.config, backend.mailer])
        api_message = message()
        seen.error(lambda: backend.send_messages([api_message]))
        seen.errors.append(api_message.lettr_error)
        smtp_message = message(lettr_transport="smtp")  # 535: the server expects another one
        seen.error(lambda: backend.send_messages([smtp_message]))
        quiet = EmailBackend(fail_silently=True)
        assert quiet.send_messages([message(), message(lettr_transport="smtp")]) == 0
        out, err = io.StringIO(), io.StringIO()
        seen.error(lambda: call_command("lettr_check", stdout=out, stderr=err))
        assert isinstance(seen.errors[-1], CommandError)
        seen.error(lambda: call_command("lettr_sendtest", "a@example.com", stdout=out,
                                        stderr=err))
        assert isinstance(seen.errors[-1], CommandError)
        seen.texts["lettr_check and lettr_sendtest output"] = out.getvalue() + err.getvalue()
    wrong_places = [{"TRANSPORT": API_KEY}, {"API_PERCENT": API_KEY}, {"SMTP_PORT": SMTP_PASSWORD},
                    {"SMTP_SECURITY": SMTP_PASSWORD}, {"MAX_RETRIES": API_KEY},
                    {"API_KEY": API_KEY.replace("lttr_", "sk_")}]
    for wrong in wrong_places:
        with override_settings(LETTR={"API_KEY": API_KEY, **wrong}):
            seen.error(lambda: EmailBackend())
            found = checks.run_checks()
            assert found, f"no system check message for {wrong}"
            seen.texts[f"checks {sorted(wrong)}"] = "\n".join(
                f"{m.msg} {m.hint}" for m in found)
