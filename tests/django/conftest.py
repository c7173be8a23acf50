"""Django configured once for the adapter tests, and an API door on ``responses``.

Django 5.2 and 6.0 route mail through ``EMAIL_BACKEND``; Django 6.1 through ``MAILERS`` (the
matrix runs both). Settings: ``LETTR`` holds a fake key, a high ``RATE_LIMIT`` (no pacing
sleeps) and ``MAX_RETRIES = 0`` (failures are answered once, without backoff sleeps).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import django
import pytest
import responses
from django.conf import settings

FAKE_KEY = "lttr_" + "0" * 60 + "d1a0"
API = "https://app.lettr.com/api"
LETTR = {"API_KEY": FAKE_KEY, "RATE_LIMIT": 1000, "MAX_RETRIES": 0, "MAX_WORKERS": 1}
MAILERS_API = django.VERSION >= (6, 1)

if not settings.configured:
    routing: dict[str, Any] = (
        {"MAILERS": {"default": {"BACKEND": "lettr_django.EmailBackend"}}}
        if MAILERS_API
        else {"EMAIL_BACKEND": "lettr_django.EmailBackend"}
    )
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-" + "x" * 40,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "lettr_django",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_FROM_EMAIL="Lettr Tests <webmaster@example.com>",
        SERVER_EMAIL="server@example.com",
        # Django 6.0+ takes plain addresses (pairs are deprecated); 5.2 needs pairs
        ADMINS=["admin@example.com"] if django.VERSION >= (6, 0) else [("A", "admin@example.com")],
        MANAGERS=(
            ["manager@example.com"] if django.VERSION >= (6, 0) else [("M", "manager@example.com")]
        ),
        EMAIL_SUBJECT_PREFIX="[Django] ",
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(Path(__file__).parent / "templates")],
        }],
        USE_TZ=True,
        TIME_ZONE="UTC",
        LETTR=LETTR,
        **routing,
    )
    django.setup()

def assert_valid_request(body: Any) -> None:
    """Validate ``body`` against the spec's SendEmailRequest/ScheduleEmailRequest schema."""
    from tests.schema import assert_valid_request as check

    check(body)


class FakeApi:
    """Records every ``POST /emails`` body and answers like Lettr (request ids 1, 2, ...)."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        self.answer: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]] | None = None
        for path in ("/emails", "/emails/scheduled"):
            mock.add_callback(responses.POST, API + path, callback=self._callback)

    def _callback(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        assert_valid_request(body)
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        if self.answer is not None:
            status, data = self.answer(body)
            return status, {"Content-Type": "application/json"}, json.dumps(data)
        count = sum(len(body.get(k, [])) for k in ("to", "cc", "bcc"))
        status = 201 if request.url.endswith("/scheduled") else 200
        data = {
            "message": "Email queued for delivery.",
            "data": {"request_id": f"req-{next(self._ids)}", "accepted": count, "rejected": 0},
        }
        return status, {"Content-Type": "application/json"}, json.dumps(data)

    @property
    def body(self) -> dict[str, Any]:
        """The only body sent (fails when there were several)."""
        assert len(self.bodies) == 1, f"{len(self.bodies)} requests"
        return self.bodies[0]



@pytest.fixture
def api() -> Iterator[FakeApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeApi(mock)


def lettr_error(status: int, error_code: str, message: str) -> dict[str, Any]:
    """An error envelope as Lettr sends it."""
    return {"message": message, "error_code": error_code}
