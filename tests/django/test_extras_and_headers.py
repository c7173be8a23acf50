"""Message extras (DESIGN.md names, django-anymail spellings) and the header rules."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.test import override_settings

from lettr_core.errors import ScheduleError, UnsupportedFeature, ValidationError
from lettr_django import LettrEmailMessage
from lettr_django.backend import EmailBackend
from lettr_django.convert import to_datetime, to_email

from .conftest import FakeApi


def send(message: Any, **options: Any) -> int:
    return EmailBackend(**options).send_messages([message])


def plain(**extras: Any) -> EmailMessage:
    message = EmailMessage("Subject", "Body", "from@example.com", ["to@example.com"])
    for name, value in extras.items():
        setattr(message, name, value)
    return message


def test_every_extra_reaches_the_api_body(api: FakeApi) -> None:
    message = LettrEmailMessage(
        subject="Hi",
        body="Text",
        from_email="from@example.com",
        to=["to@example.com"],
        template_id="welcome",
        template_version=3,
        project_id=7,
        merge_global_data={"name": "Ada", "count": 2},
        metadata={"user_id": 42, "plan": "pro"},
        tags=["onboarding"],
        track_opens=True,
        track_clicks=False,
        transactional=True,
        inline_css=True,
        amp_html="<html amp4email></html>",
        idempotency_key="order-17",
    )
    assert send(message) == 1
    body = api.body
    assert body["template_slug"] == "welcome"
    assert body["template_version"] == 3
    assert body["project_id"] == 7
    assert body["substitution_data"] == {"name": "Ada", "count": "2"}
    assert body["metadata"] == {"user_id": "42", "plan": "pro"}
    assert body["tag"] == "onboarding"
    assert body["options"] == {
        "open_tracking": True, "click_tracking": False,
        "transactional": True, "inline_css": True,
    }
    assert body["amp_html"] == "<html amp4email></html>"
    assert api.headers[0]["Idempotency-Key"] == "order-17"
    assert message.lettr_result.idempotency_key == "order-17"


def test_a_template_keeps_its_own_subject(api: FakeApi) -> None:
    """Django's default subject is "": sent, it would blank the template's subject."""
    send(LettrEmailMessage(to=["to@example.com"], template_id="welcome"))
    message = EmailMessage(to=["to@example.com"], headers={"X-Lettr-Template-Slug": "welcome"})
    send(message)
    assert [("subject" in body, "text" in body) for body in api.bodies] == [(False, False)] * 2
    send(LettrEmailMessage("Custom", to=["to@example.com"], template_id="welcome"))
    assert api.bodies[-1]["subject"] == "Custom"


def test_extras_work_as_attributes_on_any_email_message(api: FakeApi) -> None:
    send(plain(template_id="receipt", tag="billing", metadata={"a": "b"}))
    assert (api.body["template_slug"], api.body["tag"], api.body["metadata"]) == (
        "receipt", "billing", {"a": "b"}
    )


def test_lettr_email_message_declares_typed_extras() -> None:
    hints = LettrEmailMessage.__annotations__
    assert hints["template_id"] == "str | None"
    assert hints["tags"] == "list[str] | None"
    message = LettrEmailMessage(to=["a@example.com"])
    assert message.template_id is None and message.lettr_result is None


def test_send_at_schedules_through_the_scheduled_endpoint(api: FakeApi) -> None:
    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    message = plain(send_at=when)
    assert send(message) == 1
    assert api.body["scheduled_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert message.lettr_result.scheduled is True


def test_send_at_forms() -> None:
    aware = datetime(2030, 1, 2, 3, 4, tzinfo=timezone.utc)
    assert to_datetime(aware) is aware
    assert to_datetime(datetime(2030, 1, 2, 3, 4)) == aware  # naive: TIME_ZONE (UTC here)
    assert to_datetime(date(2030, 1, 2)) == datetime(2030, 1, 2, tzinfo=timezone.utc)
    assert to_datetime(aware.timestamp()) == aware
    with pytest.raises(ValidationError):
        to_datetime("tomorrow")


def test_send_at_too_far_ahead_is_a_named_error_before_io(api: FakeApi) -> None:
    message = plain(send_at=datetime.now(timezone.utc) + timedelta(days=10))
    with pytest.raises(ScheduleError):
        send(message)
    assert api.bodies == []


def test_esp_extra_is_deep_merged(api: FakeApi) -> None:
    send(plain(track_opens=True, esp_extra={"options": {"perform_substitutions": False}}))
    assert api.body["options"] == {"open_tracking": True, "perform_substitutions": False}


def test_lettr_transport_forces_the_door() -> None:
    email = to_email(plain(lettr_transport="smtp"))
    assert email.transport == "smtp"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("merge_data", {"to@example.com": {"name": "Ada"}}),
        ("envelope_sender", "bounces@example.com"),
        ("tags", ["one", "two"]),
        ("merge_metadata", {"to@example.com": {"a": "b"}}),
    ],
)
def test_unsupported_anymail_features_are_named_errors(
    api: FakeApi, name: str, value: Any
) -> None:
    with pytest.raises(UnsupportedFeature, match=name if name != "tags" else "more than one"):
        send(plain(**{name: value}))
    assert api.bodies == []


def test_ignore_unsupported_features_sends_anyway(api: FakeApi) -> None:
    message = plain(merge_data={"x@example.com": {}}, tags=["one", "two"])
    assert send(message, ignore_unsupported_features=True) == 1
    assert api.body["tag"] == "one"


def test_ignore_unsupported_features_from_the_lettr_setting(api: FakeApi) -> None:
    from .conftest import LETTR

    with override_settings(LETTR={**LETTR, "IGNORE_UNSUPPORTED_FEATURES": True}):
        assert send(plain(envelope_sender="b@example.com")) == 1


def test_tag_and_tags_agreeing_are_one_tag(api: FakeApi) -> None:
    send(plain(tag="news", tags=["news"]))
    assert api.body["tag"] == "news"


# -- headers -------------------------------------------------------------------------------


def test_custom_headers_pass_and_system_headers_are_stripped(api: FakeApi) -> None:
    message = plain()
    message.extra_headers = {
        "X-Campaign": "spring",
        "Message-ID": "<x@example.com>",
        "Date": "Mon, 1 Jan 2024 00:00:00 +0000",
        "List-Unsubscribe": "<mailto:u@example.com>",
        "To": "Someone Else <else@example.com>",
    }
    send(message)
    assert api.body["headers"] == {"X-Campaign": "spring"}
    assert api.body["to"] == ["to@example.com"]


def test_from_header_in_extra_headers_wins(api: FakeApi) -> None:
    message = plain()
    message.extra_headers = {"From": "Brand <brand@example.com>"}
    send(message)
    assert (api.body["from"], api.body["from_name"]) == ("brand@example.com", "Brand")
    assert "headers" not in api.body


def test_reply_to_header_in_extra_headers_wins(api: FakeApi) -> None:
    message = plain()
    message.reply_to = ["ignored@example.com"]
    message.extra_headers = {"reply-to": '"Support, Team" <support@example.com>'}
    send(message)
    assert api.body["reply_to"] == "support@example.com"
    assert api.body["reply_to_name"] == "Support, Team"


def test_x_lettr_headers_are_lifted_into_fields(api: FakeApi) -> None:
    message = plain()
    data = base64.b64encode(json.dumps({"name": "Ada"}).encode()).decode()
    message.extra_headers = {
        "X-Lettr-Template-Slug": "welcome",
        "X-Lettr-Template-Version": "2",
        "X-Lettr-Project-Id": "5",
        "X-Lettr-Substitution-Data": data,
        "X-Lettr-Tag": "signup",
        "X-Lettr-Metadata": json.dumps({"source": "app"}),
        "X-Other": "kept",
    }
    send(message)
    body = api.body
    assert body["template_slug"] == "welcome"
    assert body["template_version"] == 2
    assert body["project_id"] == 5
    assert body["substitution_data"] == {"name": "Ada"}
    assert body["tag"] == "signup"
    assert body["metadata"] == {"source": "app"}
    assert body["headers"] == {"X-Other": "kept"}


def test_attribute_extras_win_over_x_lettr_headers(api: FakeApi) -> None:
    message = plain(template_id="from-attribute", metadata={"k": "attr"})
    message.extra_headers = {
        "X-Lettr-Template-Slug": "from-header",
        "X-Lettr-Metadata": '{"k": "header", "other": "h"}',
    }
    send(message)
    assert api.body["template_slug"] == "from-attribute"
    assert api.body["metadata"] == {"k": "attr", "other": "h"}


def test_header_injection_is_refused_before_io(api: FakeApi) -> None:
    message = plain()
    message.extra_headers = {"X-Bad": "value\r\nBcc: victim@example.com"}
    with pytest.raises(ValidationError):
        send(message)
    assert api.bodies == []
