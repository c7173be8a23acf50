"""``mail.send_many``: Lettr's batch path for Flask apps (not part of Flask-Mail)."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from flask import Flask

from lettr_core import errors
from lettr_flask import Mail, Message, email_dispatched
from tests.flask.conftest import FakeApi
from tests.flask.flaskhelpers import API, KEY, make_app


def newsletter(n: int) -> list[Message]:
    return [Message("News", sender="news@example.com", recipients=[f"r{i}@example.com"],
                    html="<p>Same for all</p>") for i in range(n)]


def test_a_newsletter_shares_requests_and_every_message_gets_its_result(
        api_app: Flask, mail: Mail, fake_api: FakeApi) -> None:
    messages = newsletter(120)
    dispatched: list[Any] = []
    with api_app.app_context(), email_dispatched.connected_to(
            lambda app, message: dispatched.append(message)):
        assert mail.send_many(messages) == 120
    assert sorted(len(b["to"]) for b in fake_api.bodies) == [20, 50, 50]
    assert all(m.lettr_result.accepted == 1 for m in messages)
    assert dispatched == messages


def test_checks_run_before_anything_is_sent(api_app: Flask, mail: Mail,
                                           fake_api: FakeApi) -> None:
    messages = newsletter(3)
    messages[2].recipients = []
    with api_app.app_context(), pytest.raises(AssertionError, match="No recipients"):
        mail.send_many(messages)
    assert fake_api.calls == []


def test_failures_are_collected_and_the_first_is_raised() -> None:
    app = make_app(LETTR_API_KEY=KEY, LETTR_MAX_WORKERS=1)
    messages = [Message(f"s{i}", sender="a@example.com", recipients=[f"r{i}@example.com"],
                        body="b") for i in range(3)]
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/emails",
                  json={"message": "ok", "data": {"request_id": "1", "accepted": 1,
                                                  "rejected": 0}})
        rsps.post(f"{API}/emails", status=422,
                  json={"message": "bad", "error_code": "validation_error",
                        "errors": {"subject": ["bad"]}})
        rsps.post(f"{API}/emails",
                  json={"message": "ok", "data": {"request_id": "3", "accepted": 1,
                                                  "rejected": 0}})
        with app.app_context(), pytest.raises(errors.ValidationError) as info:
            Mail(app).send_many(messages)
    assert [m for m, _ in info.value.failures] == [messages[1]]  # type: ignore[attr-defined]
    assert messages[0].lettr_result.request_id == "1"
    assert messages[2].lettr_result.request_id == "3"


def test_suppressed_send_many_records_without_sending(fake_api: FakeApi) -> None:
    app = make_app(LETTR_API_KEY=KEY, MAIL_SUPPRESS_SEND=True)
    mail = Mail(app)
    with app.app_context(), mail.record_messages() as outbox:
        assert mail.send_many(newsletter(4)) == 4
    assert len(outbox) == 4 and fake_api.calls == []
