"""ApiTransport over `responses`: wire, retries, errors, splitting, coalescing, scheduling."""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from lettr_core import Attachment, Email, LettrConfig
from lettr_core import errors as e
from lettr_core.api import ApiTransport
from tests.core.conftest import API, FAKE_KEY, FakeClock, ok
from tests.schema import assert_valid_request

EMAILS = f"{API}/emails"


def email(**kwargs: object) -> Email:
    fields: dict[str, object] = {"from_email": "App <app@example.com>", "to": "u@example.com",
                                 "subject": "Hi", "text": "Hello"}
    fields.update(kwargs)
    return Email(**fields)  # type: ignore[arg-type]


def bodies(mock: responses.RequestsMock) -> list[dict[str, object]]:
    return [json.loads(call.request.body) for call in mock.calls]


def test_send_posts_json_with_auth_and_returns_the_result(transport: ApiTransport,
                                                          mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok("12345678901234567890"),
                  headers={"X-Daily-Limit": "100", "X-Daily-Remaining": "75",
                           "X-Monthly-Remaining": "2500"})
    result = transport.send(email())
    assert result.request_id == "12345678901234567890"
    assert (result.accepted, result.rejected, result.transport, result.status) == (1, 0, "api", 200)
    assert result.quota == {"daily_limit": 100, "daily_remaining": 75, "monthly_remaining": 2500}
    request = mock_api.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {FAKE_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("lettr-mail/")
    assert len(request.headers["Idempotency-Key"]) >= 16
    assert_valid_request(request.body)


def test_the_message_idempotency_key_is_used(transport: ApiTransport,
                                             mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok())
    result = transport.send(email(idempotency_key="order-42-confirmation"))
    assert mock_api.calls[0].request.headers["Idempotency-Key"] == "order-42-confirmation"
    assert result.idempotency_key == "order-42-confirmation"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_with_the_same_key(status: int, transport: ApiTransport,
                                                     mock_api: responses.RequestsMock,
                                                     clock: FakeClock) -> None:
    mock_api.post(EMAILS, status=status, json={"message": "oops", "error_code": "send_error"})
    mock_api.post(EMAILS, status=status, body=b"<html>bad gateway</html>")
    mock_api.post(EMAILS, json=ok("7"))
    assert transport.send(email()).request_id == "7"
    keys = {call.request.headers["Idempotency-Key"] for call in mock_api.calls}
    assert len(mock_api.calls) == 3 and len(keys) == 1
    # two backoffs (0-0.5 s, then 0-1 s), each also covering the limiter's spacing
    assert len(clock.sleeps) >= 2 and all(0 <= s <= 1.0 for s in clock.sleeps)


def test_connection_errors_and_timeouts_are_retried(transport: ApiTransport,
                                                    mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, body=requests.ConnectionError("refused"))
    mock_api.post(EMAILS, body=requests.ReadTimeout("slow"))
    mock_api.post(EMAILS, json=ok("8"))
    assert transport.send(email()).request_id == "8"


def test_gives_up_after_max_retries(config: LettrConfig, clock: FakeClock,
                                    mock_api: responses.RequestsMock) -> None:
    api = ApiTransport(config.replace(max_retries=2), sleep=clock.sleep, clock=clock)
    mock_api.post(EMAILS, status=503, json={"message": "down", "error_code": "send_error"})
    with pytest.raises(e.ServerError) as info:
        api.send(email())
    assert len(mock_api.calls) == 3 and info.value.status == 503


def test_transport_error_after_retries(transport: ApiTransport,
                                       mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, body=requests.ConnectionError("refused"))
    with pytest.raises(e.TransportError):
        transport.send(email())
    assert len(mock_api.calls) == 4


def test_the_deadline_bounds_retries(config: LettrConfig, clock: FakeClock,
                                     mock_api: responses.RequestsMock) -> None:
    api = ApiTransport(config.replace(max_retries=10, retry_deadline=5), sleep=clock.sleep,
                       clock=clock)
    mock_api.post(EMAILS, status=429, json={"message": "slow down",
                                            "error_code": "rate_limit_exceeded"},
                  headers={"Retry-After": "3"})
    with pytest.raises(e.RateLimited) as info:
        api.send(email())
    assert info.value.retry_after == 3.0
    assert len(mock_api.calls) == 2  # 0 s + 3 s; a third try would end past 5 s


def test_429_waits_for_retry_after(transport: ApiTransport, mock_api: responses.RequestsMock,
                                   clock: FakeClock) -> None:
    mock_api.post(EMAILS, status=429, json={"message": "slow", "error_code": "rate_limit_exceeded"},
                  headers={"Retry-After": "2"})
    mock_api.post(EMAILS, json=ok("9"))
    start = clock.now
    assert transport.send(email()).request_id == "9"
    assert clock.now - start >= 2.0 - 1e-6  # float sums of the 50 ms re-checks


@pytest.mark.parametrize(
    ("status", "payload", "error", "smtp_base"),
    [
        (401, {"message": "Invalid API key."}, e.AuthenticationError,
         smtplib.SMTPAuthenticationError),
        (403, {"message": "no", "error_code": "insufficient_scope"}, e.PermissionDenied, None),
        (400, {"message": "x", "error_code": "invalid_domain"}, e.DomainError, None),
        (400, {"message": "x", "error_code": "unconfigured_domain"}, e.DomainError, None),
        (400, {"message": "x", "error_code": "send_error"}, e.BadRequest, None),
        (404, {"message": "x", "error_code": "template_not_found"}, e.TemplateNotFound, None),
        (404, {"message": "x", "error_code": "not_found"}, e.NotFound, None),
        (409, {"message": "x", "error_code": "resource_already_exists"}, e.Conflict, None),
        (422, {"message": "Validation failed.", "error_code": "validation_error",
               "errors": {"subject": ["The subject is required."]}}, e.ValidationError, None),
        (422, {"message": "Validation failed.", "error_code": "validation_error",
               "errors": {"to.0": ["The to.0 must be a valid email address."]}},
         e.InvalidRecipient, smtplib.SMTPRecipientsRefused),
        (429, {"message": "x", "error_code": "quota_exceeded"}, e.QuotaExceeded, None),
        (429, {"message": "x", "error_code": "daily_quota_exceeded"}, e.QuotaExceeded, None),
        (418, {"message": "teapot"}, e.LettrError, None),
    ],
)
def test_client_errors_map_to_named_errors_and_are_not_retried(
    status: int, payload: dict[str, object], error: type[e.LettrError],
    smtp_base: type[Exception] | None, transport: ApiTransport,
    mock_api: responses.RequestsMock,
) -> None:
    mock_api.post(EMAILS, status=status, json=payload)
    with pytest.raises(error) as info:
        transport.send(email())
    raised = info.value
    assert type(raised) is error
    assert len(mock_api.calls) == 1
    assert isinstance(raised, smtplib.SMTPException)
    if smtp_base:
        assert isinstance(raised, smtp_base)
    assert raised.status == status
    assert raised.error_code == payload.get("error_code")
    assert raised.message == payload["message"]
    assert raised.errors == payload.get("errors", {})
    assert json.loads(raised.body or "{}") == payload
    assert FAKE_KEY not in str(raised) and FAKE_KEY not in repr(raised)


def test_error_with_empty_or_html_body(transport: ApiTransport,
                                       mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, status=401, body=b"")
    with pytest.raises(e.AuthenticationError, match="refused the API key"):
        transport.send(email())
    mock_api.post(EMAILS, status=403, body=b"<html>Forbidden</html>")
    with pytest.raises(e.PermissionDenied) as info:
        transport.send(email())
    assert info.value.body == "<html>Forbidden</html>"


def test_success_with_a_body_that_is_not_json_is_an_error(transport: ApiTransport,
                                                          mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, body=b"<html>captive portal</html>")
    with pytest.raises(e.ServerError):
        transport.send(email())
    assert len(mock_api.calls) == 1  # the message may have been accepted: never resent


def test_large_message_is_split_and_results_summed(transport: ApiTransport,
                                                   mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok("1", accepted=50))
    mock_api.post(EMAILS, json=ok("2", accepted=49, rejected=1))
    mock_api.post(EMAILS, json=ok("3", accepted=20))
    result = transport.send(email(to=[f"u{i}@example.com" for i in range(120)]))
    assert (result.accepted, result.rejected) == (119, 1)
    assert result.request_ids == ["1", "2", "3"] and result.request_id == "1"
    sent = bodies(mock_api)
    assert sorted(a for b in sent for a in b["to"]) == sorted(  # type: ignore[attr-defined]
        f"u{i}@example.com" for i in range(120))
    keys = [call.request.headers["Idempotency-Key"] for call in mock_api.calls]
    assert len(set(keys)) == 3 and keys[1] == f"{keys[0]}-1"


def test_split_message_failing_part_way_reports_what_was_sent(
        transport: ApiTransport, mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok("1", accepted=50))
    mock_api.post(EMAILS, status=422, json={"message": "bad", "error_code": "validation_error",
                                            "errors": {"to.3": ["invalid"]}})
    with pytest.raises(e.InvalidRecipient) as info:
        transport.send(email(to=[f"u{i}@example.com" for i in range(60)]))
    assert info.value.partial_result.accepted == 50


def test_send_many_coalesces_a_newsletter(transport: ApiTransport,
                                          mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok("55", accepted=50))
    newsletter = [email(to=f"r{i}@example.com", subject="News", html="<p>Same</p>")
                  for i in range(120)]
    outcomes = transport.send_many(newsletter)
    sent = bodies(mock_api)
    # requests run on a pool: their order on the wire is not fixed, their contents are
    assert sorted(len(b["to"]) for b in sent) == [20, 50, 50]  # type: ignore[arg-type]
    assert sorted(a for b in sent for a in b["to"]) == sorted(  # type: ignore[attr-defined]
        f"r{i}@example.com" for i in range(120))
    assert all(o.request_id == "55" and o.accepted == 1 for o in outcomes)  # type: ignore[union-attr]
    for body in sent:
        assert_valid_request(body)


def test_send_many_keeps_distinct_messages_apart_and_in_order(
        transport: ApiTransport, mock_api: responses.RequestsMock) -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        if body["subject"] == "bad":
            return 422, {}, json.dumps({"message": "no", "error_code": "validation_error",
                                        "errors": {"subject": ["bad"]}})
        return 200, {}, json.dumps(ok(body["subject"]))

    mock_api.add_callback(responses.POST, EMAILS, callback=answer)
    messages = [email(subject=f"s{i}") for i in range(5)]
    messages.insert(2, email(subject="bad"))
    messages.insert(4, email(subject="x", tag="not valid!"))
    outcomes = transport.send_many(messages)
    assert len(outcomes) == 7
    assert isinstance(outcomes[2], e.ValidationError) and outcomes[2].status == 422
    assert isinstance(outcomes[4], e.ValidationError) and outcomes[4].status is None
    assert [o.request_id for o in outcomes if not isinstance(o, e.LettrError)] == [
        "s0", "s1", "s2", "s3", "s4"]
    assert len(mock_api.calls) == 6  # the invalid tag never left the process


def test_send_many_with_cc_or_own_keys_is_not_coalesced(
        transport: ApiTransport, mock_api: responses.RequestsMock) -> None:
    mock_api.post(EMAILS, json=ok())
    transport.send_many([email(to=f"r{i}@example.com", cc="c@example.com") for i in range(3)])
    transport.send_many([email(to=f"r{i}@example.com", idempotency_key=f"k{i}")
                         for i in range(3)])
    assert len(mock_api.calls) == 6


def test_send_at_posts_to_the_scheduled_endpoint(config: LettrConfig, clock: FakeClock,
                                                 now: datetime,
                                                 mock_api: responses.RequestsMock) -> None:
    api = ApiTransport(config, sleep=clock.sleep, clock=clock, now=lambda: now)
    mock_api.post(f"{EMAILS}/scheduled", status=201, json=ok("77"))
    result = api.send(email(send_at=now + timedelta(hours=1)))
    assert result.scheduled and result.status == 201 and result.request_id == "77"
    body = bodies(mock_api)[0]
    assert body["scheduled_at"] == "2026-12-03T13:00:00Z"
    assert_valid_request(body)


def test_cancel_get_and_check_auth(transport: ApiTransport,
                                   mock_api: responses.RequestsMock) -> None:
    mock_api.delete(f"{EMAILS}/scheduled/77", json={"message": "cancelled"})
    mock_api.get(f"{EMAILS}/77", json={"message": "ok", "data": {"state": "delivered"}})
    mock_api.get(f"{EMAILS}/scheduled/78", json={"message": "ok", "data": {"state": "submitted"}})
    mock_api.get(f"{API}/auth/check", json={"message": "ok", "data": {"team_id": 123,
                                                                      "timestamp": "t"}})
    transport.cancel_scheduled("77")
    assert transport.get_email("77")["state"] == "delivered"
    assert transport.get_scheduled("78")["state"] == "submitted"
    assert transport.check_auth()["team_id"] == 123
    mock_api.delete(f"{EMAILS}/scheduled/79", status=409,
                    json={"message": "too late", "error_code": "schedule_cancellation_failed"})
    with pytest.raises(e.Conflict):
        transport.cancel_scheduled("79")
    with pytest.raises(e.ValidationError):
        transport.get_email("../auth/check")


def test_bad_input_never_reaches_the_network(transport: ApiTransport,
                                             mock_api: responses.RequestsMock) -> None:
    with pytest.raises(e.LimitExceeded):
        transport.send(email(attachments=[Attachment("big.bin", b"x" * 4_000_000)]))
    assert len(mock_api.calls) == 0


def test_log_lines_name_the_request_and_never_the_key(
        transport: ApiTransport, mock_api: responses.RequestsMock,
        caplog: pytest.LogCaptureFixture) -> None:
    mock_api.post(EMAILS, status=503, json={"message": "down", "error_code": "send_error"})
    mock_api.post(EMAILS, json=ok("4242"))
    with caplog.at_level(logging.DEBUG, logger="lettr"):
        transport.send(email())
    lines = [r.getMessage() for r in caplog.records if r.name == "lettr"]
    assert any("POST /emails -> 503" in line and "attempt=1" in line for line in lines)
    assert any("request_id=4242" in line and "attempt=2" in line and "duration=" in line
               for line in lines)
    assert all(FAKE_KEY not in line and FAKE_KEY[-20:] not in line
               for r in caplog.records for line in (r.getMessage(), str(r.args)))


def test_repr_hides_the_key(config: LettrConfig, transport: ApiTransport) -> None:
    assert FAKE_KEY not in repr(config) and "lttr_…f00d" in repr(config)
    assert FAKE_KEY not in repr(transport)


def test_a_key_is_required() -> None:
    with pytest.raises(e.ConfigurationError):
        ApiTransport(LettrConfig.from_mapping({}, environ={}))


def test_threads_share_one_transport(transport: ApiTransport,
                                     mock_api: responses.RequestsMock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    counter = iter(range(1000))

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        return 200, {}, json.dumps(ok(str(next(counter))))

    mock_api.add_callback(responses.POST, EMAILS, callback=answer)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: transport.send(email(subject=f"s{i}")), range(40)))
    assert len({r.request_id for r in results}) == 40


def test_waiting_can_be_replaced_for_a_whole_run(config: LettrConfig,
                                                  mock_api: responses.RequestsMock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from lettr_core import timing

    waits: list[float] = []
    monkeypatch.setattr(timing, "sleep", waits.append)
    api = ApiTransport(config)  # built without a sleep argument, as adapters do
    mock_api.post(EMAILS, status=429, json={"message": "slow", "error_code": "rate_limit_exceeded"},
                  headers={"Retry-After": "30"})
    mock_api.post(EMAILS, json=ok("1"))
    assert api.send(email()).request_id == "1"
    assert sum(waits) > 25  # the 30 s Retry-After was waited through the fake


def test_proxy_and_ca_bundle_come_from_the_environment(
        config: LettrConfig, mock_api: responses.RequestsMock,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Behind a corporate proxy or CA, the API door works as any requests client would."""
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("not read by the mock")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    mock_api.post(EMAILS, json=ok())
    ApiTransport(config).send(email())
    sent = mock_api.calls[0].request.req_kwargs  # what the adapter was asked to do
    assert sent["proxies"].get("https") == "http://proxy.corp.example:3128"
    assert sent["verify"] == str(bundle)
    assert mock_api.calls[0].request.headers["Authorization"] == f"Bearer {FAKE_KEY}"


def test_no_proxy_is_honoured(config: LettrConfig, mock_api: responses.RequestsMock,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "app.lettr.com")
    mock_api.post(EMAILS, json=ok())
    ApiTransport(config).send(email())
    assert not mock_api.calls[0].request.req_kwargs["proxies"].get("https")


def test_pool_is_sized_by_the_round_trip(transport: ApiTransport) -> None:
    assert transport._pool_size() == 8  # nothing measured yet: the configured maximum
    transport._round_trip, transport._cpu_per_request = 0.100, 0.0015  # a real API
    assert transport._pool_size() == 8
    transport._round_trip, transport._cpu_per_request = 0.006, 0.0015
    assert transport._pool_size() == 4
    transport._round_trip, transport._cpu_per_request = 0.0006, 0.0005  # a local server
    assert transport._pool_size() == 1
