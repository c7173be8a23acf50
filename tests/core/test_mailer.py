"""The router: door choice, the stable rollout bucket, send_many order, FALLBACK_TO_SMTP.

The doors are small fakes of the transports' shape: these tests are about the routing.
Fallback through the real ApiTransport and a real SMTP server is in
tests/integration/test_mailer_fallback.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from lettr_core import Email, LettrConfig, Mailer, SendResult
from lettr_core.errors import (
    LettrError,
    QuotaExceeded,
    RateLimited,
    ServerError,
    TransportError,
    UnsupportedFeature,
    ValidationError,
)
from lettr_core.mailer import routing_bucket

KEY = "lttr_" + "0" * 64


class FakeDoor:
    """Records what it was asked to send; answers from a script of errors per recipient."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[Email] = []
        self.batches: list[list[Email]] = []
        self.failures: dict[str, LettrError] = {}
        self.closed = 0

    def open(self) -> None:
        pass

    def close(self) -> None:
        self.closed += 1

    def send(self, email: Email) -> SendResult:
        self.sent.append(email)
        error = self.failures.get(email.to[0].email) if email.to else None
        if error is not None:
            raise error
        return SendResult("req-1" if self.name == "api" else None, len(email.recipients), 0,
                          self.name)  # type: ignore[arg-type]

    def send_many(self, emails: list[Email]) -> list[SendResult | LettrError]:
        self.batches.append(list(emails))
        outcomes: list[SendResult | LettrError] = []
        for email in emails:
            try:
                outcomes.append(self.send(email))
            except LettrError as error:
                outcomes.append(error)
        return outcomes

    def check_auth(self) -> dict[str, Any]:
        return {"team_id": 7}

    def get_email(self, request_id: str) -> dict[str, Any]:
        return {"request_id": request_id}

    def cancel_scheduled(self, request_id: str) -> None:
        self.sent.append(Email("x@example.com", to=request_id + "@example.com"))


def make(**settings: Any) -> tuple[Mailer, FakeDoor, FakeDoor]:
    config = LettrConfig(**settings)
    api, smtp = FakeDoor("api"), FakeDoor("smtp")
    return Mailer(config, api=api, smtp=smtp), api, smtp


def mail(to: str = "ann@example.com", **fields: Any) -> Email:
    return Email("shop@example.com", to=[to], subject="Hi", text="Hello", **fields)


ADDRESSES = [f"user{i}.{i % 97}@example{i % 13}.com" for i in range(10_000)]


# -- the rollout bucket ----------------------------------------------------------------------
def test_bucket_is_a_fixed_function_of_the_lower_cased_address() -> None:
    # pinned values: a change of hash would silently move people between doors mid-rollout
    assert routing_bucket("ann@example.com") == routing_bucket("  ANN@Example.COM ")
    assert routing_bucket("ann@example.com") == 5054
    assert all(0 <= routing_bucket(a) < 10_000 for a in ADDRESSES[:500])


@pytest.fixture(scope="module")
def synthetic() -> list[Email]:
    return [mail(a) for a in ADDRESSES]


@pytest.mark.parametrize("percent", [0, 1, 10, 25, 50, 75, 90, 99, 100])
def test_api_percent_holds_over_10000_addresses_and_is_stable(
    percent: float, synthetic: list[Email]
) -> None:
    mailer, _, _ = make(api_key=KEY, api_percent=percent)
    doors = [mailer.choose_transport(m) for m in synthetic]
    share = 100 * doors.count("api") / len(doors)
    assert abs(share - percent) <= 3
    again, _, _ = make(api_key=KEY, api_percent=percent)
    assert [again.choose_transport(mail(a)) for a in ADDRESSES] == doors
    if percent in (0, 100):
        assert set(doors) == {"api" if percent == 100 else "smtp"}


def test_raising_the_share_only_moves_people_from_smtp_to_api() -> None:
    low, _, _ = make(api_key=KEY, api_percent=20)
    high, _, _ = make(api_key=KEY, api_percent=60)
    for address in ADDRESSES[:2000]:
        if low.choose_transport(mail(address)) == "api":
            assert high.choose_transport(mail(address)) == "api"


def test_the_bucket_uses_the_first_recipient() -> None:
    mailer, _, _ = make(api_key=KEY, api_percent=50)
    a_api = next(a for a in ADDRESSES if mailer.choose_transport(mail(a)) == "api")
    a_smtp = next(a for a in ADDRESSES if mailer.choose_transport(mail(a)) == "smtp")
    both = Email("shop@example.com", to=[a_api, a_smtp], text="x")
    assert mailer.choose_transport(both) == "api"
    only_cc = Email("shop@example.com", cc=[a_smtp], text="x")
    assert mailer.choose_transport(only_cc) == "smtp"


# -- the order of the rules ------------------------------------------------------------------
API_ONLY = [
    {"template_slug": "welcome"},
    {"substitution_data": {"name": "Ann"}},
    {"send_at": datetime(2030, 1, 1, tzinfo=timezone.utc)},
    {"options": {"open_tracking": True}},
    {"headers": {"X-Lettr-Template-Slug": "welcome"}},
]


@pytest.mark.parametrize("fields", API_ONLY)
def test_api_only_features_take_the_api_whatever_the_share(fields: dict[str, Any]) -> None:
    for settings in ({"api_percent": 0}, {"transport": "smtp"}):
        mailer, _, _ = make(api_key=KEY, **settings)
        assert mailer.choose_transport(mail(**fields)) == "api"


@pytest.mark.parametrize("fields", API_ONLY)
def test_api_only_features_without_a_key_are_unsupported(fields: dict[str, Any]) -> None:
    mailer, api, smtp = make()
    with pytest.raises(UnsupportedFeature, match="no API key"):
        mailer.send(mail(**fields))
    assert api.sent == smtp.sent == []


def test_ignore_unsupported_features_lets_them_reach_the_smtp_door() -> None:
    mailer, _, _ = make(ignore_unsupported_features=True)
    assert mailer.choose_transport(mail(template_slug="welcome")) == "smtp"


def test_the_message_pin_comes_first() -> None:
    mailer, _, _ = make(api_key=KEY, api_percent=100)
    assert mailer.choose_transport(mail(transport="smtp")) == "smtp"
    mailer, _, _ = make(api_key=KEY, transport="smtp")
    assert mailer.choose_transport(mail(transport="api")) == "api"
    keyless, _, _ = make()
    with pytest.raises(UnsupportedFeature):
        keyless.choose_transport(mail(transport="api"))


def test_transport_smtp_sends_everything_else_through_smtp() -> None:
    mailer, api, smtp = make(api_key=KEY, transport="smtp", api_percent=100)
    result = mailer.send(mail())
    assert result.transport == "smtp"
    assert (len(api.sent), len(smtp.sent)) == (0, 1)


def test_send_defaults_are_applied_before_routing() -> None:
    mailer, api, _ = make(api_key=KEY, api_percent=0,
                          send_defaults={"template_slug": "house-style"})
    message = mail()
    assert mailer.choose_transport(message) == "api"
    assert message.template_slug is None  # choose_transport works on a copy
    mailer.send(message)
    assert api.sent[0].template_slug == "house-style"


# -- send_many ---------------------------------------------------------------------------------
def test_send_many_keeps_order_and_uses_each_door_once() -> None:
    mailer, api, smtp = make(api_key=KEY, api_percent=50)
    messages = [mail(a) for a in ADDRESSES[:40]]
    expected = [mailer.choose_transport(m) for m in messages]
    outcomes = mailer.send_many(messages)
    assert [o.transport for o in outcomes if isinstance(o, SendResult)] == expected
    assert len(api.batches) == len(smtp.batches) == 1
    assert len(api.batches[0]) == expected.count("api")


def test_send_many_reports_a_routing_error_in_place() -> None:
    mailer, _, smtp = make()
    outcomes = mailer.send_many([mail(), mail(template_slug="x"), mail("bob@example.com")])
    assert isinstance(outcomes[0], SendResult)
    assert isinstance(outcomes[1], UnsupportedFeature)
    assert isinstance(outcomes[2], SendResult)
    assert len(smtp.batches[0]) == 2


# -- FALLBACK_TO_SMTP --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error", [ServerError("503", status=503), TransportError("refused"),
              RateLimited("429", status=429)],
)
def test_retryable_api_failure_falls_back_to_smtp(
    error: LettrError, caplog: pytest.LogCaptureFixture
) -> None:
    mailer, api, smtp = make(api_key=KEY, fallback_to_smtp=True)
    api.failures["ann@example.com"] = error
    with caplog.at_level(logging.WARNING, logger="lettr"):
        result = mailer.send(mail())
    assert (result.transport, result.fallback) == ("smtp", True)
    assert len(smtp.sent) == 1
    [record] = [r for r in caplog.records if r.name == "lettr"]
    assert record.levelno == logging.WARNING
    assert "SMTP" in record.getMessage()
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("settings", "fields", "error"),
    [
        ({"fallback_to_smtp": False}, {}, ServerError("503", status=503)),
        ({"fallback_to_smtp": True}, {}, ValidationError("bad", status=422)),
        ({"fallback_to_smtp": True}, {}, QuotaExceeded("quota", status=429)),
        ({"fallback_to_smtp": True}, {"template_slug": "welcome"}, ServerError("503")),
        ({"fallback_to_smtp": True}, {"transport": "api"}, ServerError("503")),
    ],
    ids=["disabled", "not-retryable", "quota", "needs-api", "pinned-to-api"],
)
def test_no_fallback(settings: dict[str, Any], fields: dict[str, Any], error: LettrError) -> None:
    mailer, api, smtp = make(api_key=KEY, **settings)
    api.failures["ann@example.com"] = error
    with pytest.raises(type(error)):
        mailer.send(mail(**fields))
    assert smtp.sent == []


def test_no_fallback_when_part_of_a_split_message_was_sent() -> None:
    mailer, api, smtp = make(api_key=KEY, fallback_to_smtp=True)
    error = ServerError("503", status=503)
    error.partial_result = SendResult("req-1", 50, 0, "api")
    api.failures["ann@example.com"] = error
    with pytest.raises(ServerError):
        mailer.send(mail())
    assert smtp.sent == []


def test_a_failed_fallback_raises_the_smtp_error_caused_by_the_api_error() -> None:
    mailer, api, smtp = make(api_key=KEY, fallback_to_smtp=True)
    api_error = TransportError("api down")
    api.failures["ann@example.com"] = api_error
    smtp.failures["ann@example.com"] = TransportError("smtp down too")
    with pytest.raises(TransportError, match="smtp down too") as caught:
        mailer.send(mail())
    assert caught.value.__cause__ is api_error


def test_send_many_falls_back_per_message() -> None:
    mailer, api, smtp = make(api_key=KEY, fallback_to_smtp=True)
    api.failures["bob@example.com"] = ServerError("503", status=503)
    api.failures["cy@example.com"] = ValidationError("bad", status=422)
    outcomes = mailer.send_many([mail(), mail("bob@example.com"), mail("cy@example.com")])
    first, second, third = outcomes
    assert isinstance(first, SendResult) and (first.transport, first.fallback) == ("api", False)
    assert isinstance(second, SendResult) and (second.transport, second.fallback) == (
        "smtp", True)
    assert isinstance(third, ValidationError)
    assert [m.to[0].email for m in smtp.batches[0]] == ["bob@example.com"]


# -- lifecycle and pass-throughs --------------------------------------------------------------
def test_close_closes_both_doors_and_passes_through_api_calls() -> None:
    mailer, api, smtp = make(api_key=KEY)
    with mailer:
        assert mailer.check_auth() == {"team_id": 7}
        assert mailer.get_email("r1") == {"request_id": "r1"}
        mailer.cancel_scheduled("r2")
    assert (api.closed, smtp.closed) == (1, 1)


def test_doors_are_made_lazily_from_the_config() -> None:
    mailer = Mailer(LettrConfig(api_key=KEY, smtp_host="127.0.0.1", smtp_security="none"))
    assert repr(mailer).startswith("Mailer(")
    assert type(mailer.api).__name__ == "ApiTransport"
    assert type(mailer.smtp).__name__ == "SmtpTransport"
    assert mailer.api is mailer.api
    mailer.close()
    mailer.close()


def test_send_at_in_the_window_is_api_only_even_with_zero_share() -> None:
    mailer, _, _ = make(api_key=KEY, api_percent=0)
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert mailer.choose_transport(mail(send_at=later)) == "api"
