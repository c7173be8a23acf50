"""The Lettr API endpoints of the dev server, as functions from a request to an :class:`Answer`.

The order of events for one API request mirrors a real service behind a gateway: the key is
checked (401), then the rate limit (429), then injected faults (5xx, a dropped connection), then
``Idempotency-Key`` replay, then validation (422), then the message is stored and answered — or
stored and the answer lost (``lost_reply_rate``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .validation import validate_send_request

if TYPE_CHECKING:
    from .server import DevServer


@dataclass
class Answer:
    """One HTTP answer: status, JSON payload (or raw bytes), extra headers; or a dropped line."""

    status: int = 200
    payload: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def encoded(self) -> bytes:
        """The body as bytes."""
        if self.body is not None:
            return self.body
        return json.dumps(self.payload).encode("utf-8")


def iso(timestamp: float) -> str:
    """``2026-01-15T10:30:00.000Z`` for a unix timestamp."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error(status: int, message: str, error_code: str) -> Answer:
    """An ``ErrorResponse`` answer."""
    return Answer(status, {"message": message, "error_code": error_code})


def not_found(message: str = "Not found.") -> Answer:
    """404 ``not_found``."""
    return error(404, message, "not_found")


_FAIL_CODES = {500: "send_error", 502: "transmission_failed", 503: "send_error", 504: "send_error"}


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return key.strip() or None


def handle_api(
    server: DevServer, method: str, path: str, headers: dict[str, str], body: bytes
) -> Answer:
    """Answer one request to a Lettr API path (everything not under ``/_dev`` or ``/``)."""
    faults = server.faults
    faults.count("requests")
    if method == "GET" and path == "/health":
        return Answer(200, {"message": "Health check passed.",
                            "data": {"status": "ok", "timestamp": iso(server.clock())}})
    key = bearer_key(headers.get("authorization"))
    if key is None or not server.accepts_key(key):
        faults.count("unauthorized")
        return Answer(401, {"message": "API key is required." if key is None
                            else "Invalid API key."})
    window = faults.take()
    if window.refused:
        faults.count("rate_limited")
        answer = error(429, "Too many requests. Please slow down.", "rate_limit_exceeded")
        answer.headers.update(window.headers())
        return answer
    fate = faults.draw()
    if fate.fail:
        faults.count("failed")
        status = server.faults.knobs.fail_status
        return error(status, "An unexpected error occurred. Please try again later.",
                     _FAIL_CODES[status])
    if fate.reset:
        faults.count("reset")
        return Answer(drop=True)
    answer, stored = _route(server, method, path, headers, body)
    if stored and fate.lost_reply:
        faults.count("lost_reply")
        return Answer(drop=True)
    return answer


def _route(
    server: DevServer, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[Answer, bool]:
    parts = [part for part in path.split("/") if part]
    if method == "POST" and parts == ["emails"]:
        return send(server, headers, body, scheduled=False)
    if method == "POST" and parts == ["emails", "scheduled"]:
        return send(server, headers, body, scheduled=True)
    if method == "GET" and parts == ["auth", "check"]:
        return Answer(200, {"message": "API key is valid.",
                            "data": {"team_id": 1, "timestamp": iso(server.clock())}}), False
    if len(parts) == 3 and parts[:2] == ["emails", "scheduled"]:
        if method == "GET":
            return show_email(server, parts[2], scheduled=True), False
        if method == "DELETE":
            return cancel_scheduled(server, parts[2]), False
    if method == "GET" and len(parts) == 2 and parts[0] == "emails":
        return show_email(server, parts[1], scheduled=False), False
    return not_found(), False


def _attachment_contents(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[bytes]]:
    listed, contents = [], []
    for item in body.get("attachments") or []:
        content = base64.b64decode(item["data"])
        listed.append({"name": item["name"], "type": item["type"], "size": len(content)})
        contents.append(content)
    return listed, contents


def _stored_message(
    server: DevServer, body: dict[str, Any], raw: bytes, idempotency_key: str | None,
    scheduled: bool,
) -> tuple[dict[str, Any], list[bytes]]:
    listed, contents = _attachment_contents(body)
    message = {
        "request_id": server.new_request_id(),
        "door": "api",
        "received_at": iso(server.clock()),
        "state": "submitted" if scheduled else "delivered",
        "scheduled_at": body.get("scheduled_at"),
        "from": body["from"],
        "from_name": body.get("from_name"),
        "to": list(body["to"]),
        "cc": list(body.get("cc") or []),
        "bcc": list(body.get("bcc") or []),
        "reply_to": body.get("reply_to"),
        "subject": body.get("subject"),
        "text": body.get("text"),
        "html": body.get("html"),
        "amp_html": body.get("amp_html"),
        "headers": body.get("headers") or {},
        "metadata": body.get("metadata"),
        "tag": body.get("tag"),
        "template_slug": body.get("template_slug"),
        "template_version": body.get("template_version"),
        "project_id": body.get("project_id"),
        "substitution_data": body.get("substitution_data"),
        "options": body.get("options"),
        "attachments": listed,
        "idempotency_key": idempotency_key,
        "envelope_from": None,
        "envelope_to": None,
        "warnings": [],
        "raw": raw.decode("utf-8", "replace"),
    }
    return message, contents


def send(
    server: DevServer, headers: dict[str, str], raw: bytes, scheduled: bool
) -> tuple[Answer, bool]:
    """``POST /emails`` and ``POST /emails/scheduled``; returns the answer and whether stored."""
    idempotency_key = headers.get("idempotency-key") or None
    with server.idempotency_lock(idempotency_key):
        if idempotency_key is not None:
            previous = server.store.answer_for(idempotency_key)
            if previous is not None:
                server.faults.count("idempotent_replays")
                return Answer(previous[0], body=previous[1]), False
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError):
            body = None
        errors = validate_send_request(body, scheduled=scheduled, now=server.clock())
        if errors:
            server.faults.count("validation_errors")
            answer = Answer(422, {"message": "Validation failed.",
                                  "error_code": "validation_error", "errors": errors})
            stored = False
        else:
            assert isinstance(body, dict)
            message, contents = _stored_message(server, body, raw, idempotency_key, scheduled)
            server.store.add(message, contents)
            server.faults.count("stored")
            count = len(message["to"]) + len(message["cc"]) + len(message["bcc"])
            answer = Answer(
                201 if scheduled else 200,
                {
                    "message": "Email scheduled for delivery." if scheduled
                    else "Email queued for delivery.",
                    "data": {"request_id": message["request_id"], "accepted": count,
                             "rejected": 0},
                },
            )
            stored = True
        if idempotency_key is not None:
            server.store.remember_answer(idempotency_key, answer.status, answer.encoded())
        return answer, stored


def _events(server: DevServer, message: dict[str, Any]) -> list[dict[str, Any]]:
    if message.get("state") != "delivered":
        return []
    events = []
    recipients = message["to"] + message["cc"] + message["bcc"]
    for index, rcpt in enumerate(recipients):
        for kind in ("delivery", "injection"):
            events.append(
                {
                    "event_id": f"{message['request_id']}-{index}-{kind}",
                    "type": kind,
                    "timestamp": message["received_at"],
                    "request_id": message["request_id"],
                    "rcpt_to": rcpt,
                    "raw_rcpt_to": rcpt,
                    "recipient_domain": rcpt.rpartition("@")[2],
                    "mailbox_provider": "lettr devserver",
                    "mailbox_provider_region": "Local",
                    "subject": message.get("subject"),
                    "friendly_from": message.get("from"),
                }
            )
    return events


def show_email(server: DevServer, request_id: str, scheduled: bool) -> Answer:
    """``GET /emails/{id}`` and ``GET /emails/scheduled/{id}``."""
    message = server.store.find_request(request_id)
    if message is None or message.get("state") == "cancelled":
        return not_found("Scheduled transmission not found." if scheduled else "Email not found.")
    state = message["state"]
    if not scheduled and state == "submitted":
        state = "scheduled"
    recipients = message["to"] + message["cc"] + message["bcc"]
    data = {
        "transmission_id": request_id,
        "state": state,
        "scheduled_at": message.get("scheduled_at"),
        "from": message["from"],
        "from_name": message.get("from_name"),
        "subject": message.get("subject") or "",
        "recipients": recipients,
        "num_recipients": len(recipients),
        "events": _events(server, message),
    }
    text = ("Scheduled transmission retrieved successfully." if scheduled
            else "Email retrieved successfully.")
    return Answer(200, {"message": text, "data": data})


def cancel_scheduled(server: DevServer, request_id: str) -> Answer:
    """``DELETE /emails/scheduled/{id}``: 409 unless the message is scheduled and pending."""
    with server.send_lock:
        message = server.store.find_request(request_id)
        if message is None or message.get("state") != "submitted":
            return error(409, f"Failed to cancel scheduled transmission {request_id}.",
                         "schedule_cancellation_failed")
        server.store.update_state(int(message["id"]), "cancelled")
    return Answer(200, {"message": "Scheduled transmission cancelled successfully."})
