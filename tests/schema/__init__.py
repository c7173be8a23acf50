"""JSON Schemas of Lettr's request bodies, transcribed from the spec, and a checker."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

_HERE = Path(__file__).parent


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((_HERE / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def assert_valid_request(body: Any) -> None:
    """Fail when ``body`` is not a valid SendEmailRequest (or ScheduleEmailRequest)."""
    if isinstance(body, (bytes, str)):
        body = json.loads(body)
    name = "schedule_email_request" if "scheduled_at" in body else "send_email_request"
    errors = sorted(_validator(name).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors)
