"""The dev server's HTTP API over real sockets: envelopes, auth, validation, idempotency."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from lettr_core import limits
from lettr_core.devserver import DevServer

pytestmark = pytest.mark.integration

KEY = "lttr_" + "0" * 64


def auth(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}", **extra}


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "from": "sender@example.com",
        "to": ["rcpt@example.com"],
        "subject": "Hello",
        "text": "Hi there",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not _DROP}


_DROP = object()


def post(
    server: DevServer, payload: Any, path: str = "/emails", **headers: str
) -> requests.Response:
    return requests.post(server.api_url + path, json=payload, headers=auth(**headers), timeout=10)


def test_send_answers_the_success_envelope_and_stores(devserver: DevServer) -> None:
    response = post(devserver, body(cc=["c@example.com"], bcc=["b@example.com"]))
    assert response.status_code == 200
    payload = response.json()
    assert payload["message"] == "Email queued for delivery."
    data = payload["data"]
    assert data["request_id"].isdigit() and len(data["request_id"]) >= 10
    assert (data["accepted"], data["rejected"]) == (3, 0)
    [stored] = devserver.messages()
    assert stored["request_id"] == data["request_id"]
    assert stored["door"] == "api"
    assert (stored["to"], stored["cc"], stored["bcc"]) == (
        ["rcpt@example.com"], ["c@example.com"], ["b@example.com"]
    )
    assert stored["subject"] == "Hello" and stored["text"] == "Hi there"


def test_rate_limit_headers_on_every_api_answer(devserver: DevServer) -> None:
    for response in (
        requests.get(devserver.api_url + "/health", timeout=10),
        requests.get(devserver.api_url + "/auth/check", timeout=10),
        post(devserver, body()),
        post(devserver, body(to=[])),
    ):
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert response.headers[name].isdigit(), (response.status_code, name)


def test_health_needs_no_key(devserver: DevServer) -> None:
    response = requests.get(devserver.api_url + "/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ok"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Bearer sk_live_x"},
     {"Authorization": f"Basic {KEY}"}],
)
def test_401_without_an_lttr_bearer_key(devserver: DevServer, headers: dict[str, str]) -> None:
    for method, path in (("POST", "/emails"), ("GET", "/auth/check"), ("GET", "/emails/1")):
        response = requests.request(
            method, devserver.api_url + path, json=body(), headers=headers, timeout=10
        )
        assert response.status_code == 401
        assert set(response.json()) == {"message"}
    assert devserver.messages() == []
    assert devserver.stats["unauthorized"] == 3


def test_configured_key_is_the_only_one_accepted(devserver_factory: Any) -> None:
    server = devserver_factory(api_key="lttr_test_" + "1" * 10)
    assert post(server, body()).status_code == 401
    response = requests.get(
        server.api_url + "/auth/check",
        headers={"Authorization": "Bearer lttr_test_" + "1" * 10}, timeout=10,
    )
    assert response.status_code == 200
    assert isinstance(response.json()["data"]["team_id"], int)


_TOO_BIG = base64.b64encode(b"x" * (limits.MAX_ATTACHMENTS_BASE64_BYTES // 4 * 3 + 3)).decode()

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("from missing", body(**{"from": _DROP}), "from"),
    ("from not an address", body(**{"from": "nobody"}), "from"),
    ("from display form", body(**{"from": "Me <me@example.com>"}), "from"),
    ("from too long", body(**{"from": "a" * 250 + "@example.com"}), "from"),
    ("to missing", body(to=_DROP), "to"),
    ("to empty", body(to=[]), "to"),
    ("to not a list", body(to="rcpt@example.com"), "to"),
    ("to bad item", body(to=["ok@example.com", "bad@"]), "to.1"),
    ("to over 50", body(to=[f"r{i}@example.com" for i in range(51)]), "to"),
    ("to+cc+bcc over 50", body(to=[f"r{i}@example.com" for i in range(30)],
                               cc=[f"c{i}@example.com" for i in range(15)],
                               bcc=[f"b{i}@example.com" for i in range(6)]), "to"),
    ("cc bad", body(cc=["x"]), "cc.0"),
    ("bcc bad", body(bcc=["x y@example.com"]), "bcc.0"),
    ("reply_to bad", body(reply_to="nope"), "reply_to"),
    ("no content", body(text=_DROP), "html"),
    ("no subject", body(subject=_DROP), "subject"),
    ("subject too long", body(subject="s" * (limits.MAX_SUBJECT_LENGTH + 1)), "subject"),
    ("from_name too long", body(from_name="n" * (limits.MAX_NAME_LENGTH + 1)), "from_name"),
    ("too many headers", body(headers={f"X-H{i}": "v" for i in range(11)}), "headers"),
    ("system header", body(headers={"Reply-To": "a@example.com"}), "headers.Reply-To"),
    ("system header any case", body(headers={"x-msys-api": "{}"}), "headers.x-msys-api"),
    ("header value too long", body(headers={"X-Long": "v" * 999}), "headers.X-Long"),
    ("header value not string", body(headers={"X-Num": 5}), "headers.X-Num"),
    ("header with CRLF", body(headers={"X-Evil": "a\r\nBcc: x@example.com"}), "headers.X-Evil"),
    ("tag too long", body(tag="t" * (limits.MAX_TAG_LENGTH + 1)), "tag"),
    ("tag not string", body(tag=5), "tag"),
    ("metadata value not string", body(metadata={"user_id": 5}), "metadata.user_id"),
    ("metadata not object", body(metadata=["a"]), "metadata"),
    ("metadata too many keys", body(metadata={f"k{i}": "v" for i in range(51)}), "metadata"),
    ("metadata key too long", body(metadata={"k" * 41: "v"}), "metadata." + "k" * 41),
    ("metadata value too long", body(metadata={"k": "v" * 501}), "metadata.k"),
    ("substitution value not string", body(substitution_data={"n": 1}), "substitution_data.n"),
    ("template_version zero", body(template_slug="welcome", template_version=0),
     "template_version"),
    ("template_version not int", body(template_slug="welcome", template_version="2"),
     "template_version"),
    ("project_id not int", body(project_id="12"), "project_id"),
    ("option not bool", body(options={"open_tracking": "yes"}), "options.open_tracking"),
    ("unknown option", body(options={"track": True}), "options.track"),
    ("unknown field", body(scheduledAt="2030-01-01T00:00:00Z"), "scheduledAt"),
    ("attachment without name", body(attachments=[{"type": "text/plain", "data": "aGk="}]),
     "attachments.0.name"),
    ("attachment without type", body(attachments=[{"name": "a.txt", "data": "aGk="}]),
     "attachments.0.type"),
    ("attachment without data", body(attachments=[{"name": "a.txt", "type": "text/plain"}]),
     "attachments.0.data"),
    ("attachment data with line break",
     body(attachments=[{"name": "a", "type": "text/plain", "data": "aGk=\naGk="}]),
     "attachments.0.data"),
    ("attachment data not base64",
     body(attachments=[{"name": "a", "type": "text/plain", "data": "a-b_"}]),
     "attachments.0.data"),
    ("attachment name too long",
     body(attachments=[{"name": "n" * 256, "type": "text/plain", "data": "aGk="}]),
     "attachments.0.name"),
    ("attachments over 5 MB after base64",
     body(attachments=[{"name": "big", "type": "application/octet-stream", "data": _TOO_BIG}]),
     "attachments"),
]


@pytest.mark.parametrize(("case", "payload", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_each_rule_answers_422_naming_the_field(
    devserver: DevServer, case: str, payload: dict[str, Any], field: str
) -> None:
    response = post(devserver, payload)
    assert response.status_code == 422, response.text[:300]
    answer = response.json()
    assert answer["error_code"] == "validation_error"
    assert answer["message"]
    assert field in answer["errors"], answer["errors"]
    assert all(isinstance(m, str) and m for msgs in answer["errors"].values() for m in msgs)
    assert devserver.messages() == []


def test_limits_are_inclusive(devserver: DevServer) -> None:
    exactly_5mb = base64.b64encode(b"x" * (limits.MAX_ATTACHMENTS_BASE64_BYTES // 4 * 3)).decode()
    assert len(exactly_5mb) == limits.MAX_ATTACHMENTS_BASE64_BYTES
    payload = body(
        to=[f"r{i}@example.com" for i in range(48)], cc=["c@example.com"],
        bcc=["b@example.com"], tag="t" * 64, headers={f"X-H{i}": "v" * 998 for i in range(10)},
        metadata={("k" * 38 + f"{i:02d}"): "v" * 500 for i in range(50)},
        attachments=[{"name": "big.bin", "type": "application/octet-stream", "data": exactly_5mb}],
    )
    response = post(devserver, payload)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["data"]["accepted"] == 50


def test_unicode_local_part_and_punycode_domain_are_addresses(devserver: DevServer) -> None:
    response = post(devserver, body(to=["jörg@xn--mller-kva.example"]))
    assert response.status_code == 200, response.text


def test_template_needs_no_subject_or_body(devserver: DevServer) -> None:
    response = post(devserver, body(subject=_DROP, text=_DROP, template_slug="welcome",
                                    template_version=2, substitution_data={"name": "Ann"}))
    assert response.status_code == 200, response.text
    assert devserver.messages()[0]["template_slug"] == "welcome"


def test_not_json_is_a_422(devserver: DevServer) -> None:
    response = requests.post(devserver.api_url + "/emails", data=b"{nope", headers=auth(),
                             timeout=10)
    assert response.status_code == 422
    assert "body" in response.json()["errors"]


def test_idempotency_key_replays_the_first_answer(devserver: DevServer) -> None:
    first = post(devserver, body(subject="one"), **{"Idempotency-Key": "key-1"})
    again = post(devserver, body(subject="two"), **{"Idempotency-Key": "key-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other = post(devserver, body(subject="three"), **{"Idempotency-Key": "key-2"})
    assert other.json()["data"]["request_id"] != first.json()["data"]["request_id"]
    assert [m["subject"] for m in devserver.messages()] == ["three", "one"]
    assert devserver.messages()[1]["idempotency_key"] == "key-1"
    assert devserver.stats["idempotent_replays"] == 1


def test_idempotency_replays_a_422_too(devserver: DevServer) -> None:
    first = post(devserver, body(to=[]), **{"Idempotency-Key": "bad-1"})
    again = post(devserver, body(), **{"Idempotency-Key": "bad-1"})
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert devserver.messages() == []


def _in(seconds: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_schedule_show_and_cancel(devserver: DevServer) -> None:
    response = post(devserver, body(scheduled_at=_in(3600)), path="/emails/scheduled")
    assert response.status_code == 201, response.text
    assert response.json()["message"] == "Email scheduled for delivery."
    request_id = response.json()["data"]["request_id"]
    shown = requests.get(f"{devserver.api_url}/emails/scheduled/{request_id}", headers=auth(),
                         timeout=10)
    assert shown.status_code == 200
    assert shown.json()["data"]["state"] == "submitted"
    assert shown.json()["data"]["recipients"] == ["rcpt@example.com"]
    cancel = requests.delete(f"{devserver.api_url}/emails/scheduled/{request_id}",
                             headers=auth(), timeout=10)
    assert cancel.status_code == 200
    again = requests.delete(f"{devserver.api_url}/emails/scheduled/{request_id}",
                            headers=auth(), timeout=10)
    assert again.status_code == 409
    assert again.json()["error_code"] == "schedule_cancellation_failed"
    gone = requests.get(f"{devserver.api_url}/emails/scheduled/{request_id}", headers=auth(),
                        timeout=10)
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "when", [None, "tomorrow", _in(60), _in(4 * 24 * 3600), "2020-01-01T00:00:00Z"]
)
def test_schedule_window_and_format(devserver: DevServer, when: str | None) -> None:
    payload = body() if when is None else body(scheduled_at=when)
    response = post(devserver, payload, path="/emails/scheduled")
    assert response.status_code == 422
    assert "scheduled_at" in response.json()["errors"]


def test_scheduled_at_is_refused_on_the_immediate_endpoint(devserver: DevServer) -> None:
    response = post(devserver, body(scheduled_at=_in(3600)))
    assert response.status_code == 422
    assert "scheduled_at" in response.json()["errors"]


def test_email_detail(devserver: DevServer) -> None:
    request_id = post(devserver, body(to=["a@example.com", "b@example.org"])).json()["data"][
        "request_id"
    ]
    response = requests.get(f"{devserver.api_url}/emails/{request_id}", headers=auth(),
                            timeout=10)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["transmission_id"] == request_id
    assert data["state"] == "delivered"
    assert data["num_recipients"] == 2
    assert {e["type"] for e in data["events"]} == {"injection", "delivery"}
    assert requests.get(f"{devserver.api_url}/emails/123", headers=auth(),
                        timeout=10).status_code == 404


def test_unknown_path_is_a_404_envelope(devserver: DevServer) -> None:
    response = requests.get(devserver.api_url + "/nothing", headers=auth(), timeout=10)
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_dev_listing_and_clear(devserver: DevServer) -> None:
    post(devserver, body(subject="first"))
    post(devserver, body(subject="second", metadata={"user": "7"}, tag="welcome"))
    listing = requests.get(devserver.api_url + "/_dev/messages", timeout=10).json()["messages"]
    assert [m["subject"] for m in listing] == ["second", "first"]
    newest = listing[0]
    for name in ("id", "request_id", "door", "received_at", "from", "to", "cc", "bcc", "subject",
                 "text", "html", "metadata", "tag", "attachments", "idempotency_key", "raw"):
        assert name in newest
    assert newest["metadata"] == {"user": "7"} and newest["tag"] == "welcome"
    one = requests.get(f"{devserver.api_url}/_dev/messages/{newest['id']}", timeout=10).json()
    assert one == newest
    only_smtp = requests.get(devserver.api_url + "/_dev/messages?door=smtp", timeout=10).json()
    assert only_smtp["messages"] == []
    assert requests.delete(devserver.api_url + "/_dev/messages", timeout=10).status_code == 200
    assert devserver.messages() == []


def test_concurrent_retries_with_one_key_store_one_message(devserver: DevServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(
            lambda _: post(devserver, body(), **{"Idempotency-Key": "same"}).json(), range(16)
        ))
    assert len({answer["data"]["request_id"] for answer in answers}) == 1
    assert len(devserver.messages()) == 1
    assert devserver.stats["idempotent_replays"] == 15
