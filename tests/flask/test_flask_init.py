"""Initialisation and configuration, as Flask-Mail documents them, plus LETTR_* settings."""

from __future__ import annotations

import threading

import flask_mail
import pytest
from flask import Flask
from flaskhelpers import KEY, OTHER_KEY, make_app

import lettr_flask
from lettr_core import ConfigurationError
from lettr_flask import Mail, MailState

STATE_FIELDS = (
    "server", "username", "password", "port", "use_tls", "use_ssl", "default_sender",
    "debug", "max_emails", "suppress", "ascii_attachments",
)


def test_public_names_match_flask_mail() -> None:
    names = {
        "Mail", "Message", "Attachment", "Connection", "BadHeaderError", "email_dispatched",
        "sanitize_address", "sanitize_addresses", "sanitize_subject", "force_text",
    }
    for name in names:
        assert hasattr(flask_mail, name)
        assert hasattr(lettr_flask, name), name


@pytest.mark.parametrize("debug,testing", [(False, False), (True, True)])
def test_defaults_equal_flask_mails(debug: bool, testing: bool) -> None:
    ours = Mail().init_mail({}, debug=debug, testing=testing)
    theirs = flask_mail.Mail().init_mail({}, debug=debug, testing=testing)
    for name in STATE_FIELDS:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.server == "127.0.0.1" and ours.port == 25 and ours.suppress is testing


def test_every_mail_key_is_read_like_flask_mail() -> None:
    config = {
        "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 465, "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": True, "MAIL_USERNAME": "me", "MAIL_PASSWORD": "pw",
        "MAIL_DEFAULT_SENDER": ("Me", "me@example.com"), "MAIL_DEBUG": 1,
        "MAIL_MAX_EMAILS": 7, "MAIL_SUPPRESS_SEND": True, "MAIL_ASCII_ATTACHMENTS": True,
    }
    ours = Mail().init_mail(config)
    theirs = flask_mail.Mail().init_mail(config)
    for name in STATE_FIELDS:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.lettr_config.smtp_security == "ssl"
    assert ours.lettr_config.smtp_host == "smtp.example.com"
    assert ours.lettr_config.smtp_username == "me"


def test_init_app_registers_and_returns_the_state() -> None:
    app = make_app()
    mail = Mail()
    state = mail.init_app(app)
    assert isinstance(state, MailState)
    assert app.extensions["mail"] is state
    assert state.app is app
    assert mail.state is None  # as in Flask-Mail: only Mail(app) keeps a state


def test_mail_with_app_delegates_unknown_attributes_to_its_state() -> None:
    app = make_app(MAIL_DEFAULT_SENDER="x@example.com", MAIL_MAX_EMAILS=3)
    mail = Mail(app)
    assert mail.state is app.extensions["mail"]
    assert mail.default_sender == "x@example.com"
    assert mail.max_emails == 3
    assert mail.no_such_attribute is None
    with pytest.raises(AttributeError):
        mail.__no_dunder__  # noqa: B018


def test_suppress_defaults_to_testing() -> None:
    app = make_app()
    app.testing = True
    assert Mail(app).suppress is True
    app2 = make_app()
    assert Mail(app2).suppress is False
    app3 = make_app(MAIL_SUPPRESS_SEND=False)
    app3.testing = True
    assert Mail(app3).suppress is False


def test_application_factory_with_several_apps() -> None:
    mail = Mail()

    def create_app(key: str, sender: str) -> Flask:
        app = make_app(sender, LETTR_API_KEY=key, MAIL_DEFAULT_SENDER=sender)
        mail.init_app(app)
        return app

    one = create_app(KEY, "one@example.com")
    two = create_app(OTHER_KEY, "two@example.com")
    assert one.extensions["mail"] is not two.extensions["mail"]
    assert one.extensions["mail"].lettr_config.api_key == KEY
    assert two.extensions["mail"].lettr_config.api_key == OTHER_KEY
    with one.app_context():
        assert lettr_flask.Message("hi").sender == "one@example.com"
    with two.app_context():
        assert lettr_flask.Message("hi").sender == "two@example.com"


def test_key_in_config_makes_the_api_the_default_door() -> None:
    state = Mail(make_app(LETTR_API_KEY=KEY)).state
    assert state is not None
    assert state.lettr_config.transport == "api"
    assert state.api_transport is not None
    # no MAIL_SERVER: the SMTP door (fallback, API_PERCENT) is Lettr's relay
    assert state.lettr_config.smtp_host == "smtp.lettr.com"
    assert state.lettr_config.smtp_security == "starttls"


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LETTR_API_KEY", KEY)
    state = Mail(make_app()).state
    assert state is not None
    assert state.lettr_config.api_key == KEY
    assert state.lettr_config.transport == "api"


def test_without_key_it_is_flask_mail_over_smtp() -> None:
    state = Mail(make_app()).state
    assert state is not None
    config = state.lettr_config
    assert config.transport == "smtp"
    assert (config.smtp_host, config.smtp_port, config.smtp_security) == ("127.0.0.1", 25, "none")
    # Flask-Mail logs in only with both a user name and a password set
    assert not config.smtp_password and not config.smtp_secret
    assert state.api_transport is None


def test_mail_server_is_used_beside_a_key() -> None:
    state = Mail(make_app(LETTR_API_KEY=KEY, MAIL_SERVER="smtp.example.com", MAIL_PORT=587,
                          MAIL_USE_TLS=True, LETTR_API_PERCENT=50)).state
    assert state is not None
    config = state.lettr_config
    assert (config.smtp_host, config.smtp_port, config.smtp_security) == (
        "smtp.example.com", 587, "starttls")
    assert config.api_percent == 50
    # the API key is never offered to someone else's server
    assert not config.smtp_secret


def test_lettr_keys_are_translated() -> None:
    state = Mail(make_app(
        LETTR_API_KEY=KEY, LETTR_API_URL="http://127.0.0.1:9/api", LETTR_TRANSPORT="smtp",
        LETTR_API_PERCENT="25", LETTR_FALLBACK_TO_SMTP=True, LETTR_MAX_RETRIES=5,
        LETTR_TIMEOUT=(2, 7), LETTR_RATE_LIMIT=9, LETTR_SEND_DEFAULTS={"tag": "flask"},
        LETTR_SMTP_TIMEOUT=4,
    )).state
    assert state is not None
    config = state.lettr_config
    assert config.api_url == "http://127.0.0.1:9/api"
    assert config.transport == "smtp"
    assert config.api_percent == 25.0
    assert config.fallback_to_smtp is True
    assert config.max_retries == 5
    assert config.timeout == (2.0, 7.0)
    assert config.rate_limit == 9.0
    assert dict(config.send_defaults) == {"tag": "flask"}
    assert config.smtp_timeout == 4.0


def test_plaintext_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigurationError) as info:
        Mail(make_app(MAIL_SERVER="smtp.example.com"))
    assert info.value.setting == "MAIL_USE_TLS"
    assert "loopback" in str(info.value)


def test_plaintext_to_loopback_is_allowed() -> None:
    state = Mail(make_app(MAIL_SERVER="localhost", MAIL_PORT=1025)).state
    assert state is not None
    assert state.lettr_config.smtp_security == "none"


def test_tls_and_ssl_together_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="both True"):
        Mail(make_app(MAIL_SERVER="smtp.example.com", MAIL_USE_TLS=True, MAIL_USE_SSL=True))


def test_a_typo_in_a_lettr_key_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown Lettr setting"):
        Mail(make_app(LETTR_API_KYE=KEY))


def test_a_bad_key_is_an_error_without_echoing_it() -> None:
    bad = "sk_live_" + "9" * 40
    with pytest.raises(ConfigurationError) as info:
        Mail(make_app(LETTR_API_KEY=bad))
    assert bad not in str(info.value)


def test_api_transport_without_a_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="API_KEY"):
        Mail(make_app(LETTR_TRANSPORT="api"))


def test_secrets_stay_out_of_repr() -> None:
    state = Mail(make_app(LETTR_API_KEY=KEY, MAIL_SERVER="smtp.example.com", MAIL_USE_TLS=True,
                          MAIL_USERNAME="me", MAIL_PASSWORD="hunter2-secret")).state
    text = repr(state) + repr(state.lettr_config) + repr(state.api_transport)
    assert KEY not in text and "hunter2-secret" not in text


def test_state_transports_are_created_once_across_threads() -> None:
    state = Mail(make_app(LETTR_API_KEY=KEY)).state
    assert state is not None
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(state.mailer)
        seen.append(state.api_transport)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(obj) for obj in seen}) == 2


def test_connect_without_init_is_a_runtime_error() -> None:
    app = Flask("bare")
    with app.app_context(), pytest.raises(RuntimeError):
        Mail().connect()


def test_init_mail_state_equals_the_registered_one_by_dict() -> None:
    app = make_app(LETTR_API_KEY=KEY, MAIL_MAX_EMAILS=5)
    app.testing = True
    mail = Mail(app)
    assert mail.state is not None
    _ = mail.state.mailer  # lazily built parts do not show in __dict__
    again = mail.init_mail(app.config, app.debug, app.testing)
    assert mail.state.__dict__ == again.__dict__
    assert set(again.__dict__) == {*STATE_FIELDS, "lettr_config"}
