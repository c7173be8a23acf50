"""The ``esp_extra`` hook: raw API fields deep-merged into the body, last."""

from __future__ import annotations

import pytest

from lettr_core import Email, ValidationError
from lettr_core.payload import build_payload, deep_merge


def _email(**kwargs: object) -> Email:
    return Email(
        from_email="a@example.com", to=["b@example.com"], subject="s", text="t", **kwargs
    )


def test_esp_extra_is_deep_merged_last() -> None:
    email = _email(
        options={"open_tracking": True},
        esp_extra={"options": {"click_tracking": False}, "subject": "override"},
    )
    body = build_payload(email)
    assert body["options"] == {"open_tracking": True, "click_tracking": False}
    assert body["subject"] == "override"


def test_esp_extra_nested_values_are_copied_not_shared() -> None:
    extra = {"options": {"inline_css": True}}
    body = build_payload(_email(esp_extra=extra))
    body["options"]["inline_css"] = False
    assert extra == {"options": {"inline_css": True}}


def test_esp_extra_makes_a_message_need_the_api() -> None:
    assert _email(esp_extra={"x": 1}).needs_api() == ["esp_extra"]
    assert _email().needs_api() == []


def test_esp_extra_must_be_a_mapping() -> None:
    with pytest.raises(ValidationError):
        _email(esp_extra=["not", "a", "mapping"])


def test_deep_merge_replaces_non_mappings() -> None:
    target = {"a": {"b": 1, "c": [1]}, "d": 1}
    assert deep_merge(target, {"a": {"c": [2]}, "d": {"e": 1}}) == {
        "a": {"b": 1, "c": [2]},
        "d": {"e": 1},
    }
