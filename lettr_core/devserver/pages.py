"""The dev server's inbox pages: a list of received messages and one message's detail.

Every value shown is escaped with :func:`html.escape`; a message's HTML body is never inlined but
loaded in a sandboxed iframe from its own route, which is itself served with a CSP ``sandbox``.
The pages carry no script at all.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

#: the Content-Security-Policy of the inbox pages (no scripts; frames only from ourselves)
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'"
)
#: the Content-Security-Policy of a message's HTML body (an opaque, script-less sandbox)
BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"

#: the inbox reloads itself this often (a meta refresh: the pages have no script)
INBOX_REFRESH_SECONDS = 5

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { background: #f4f4f4; }
.door { font-variant: small-caps; }
pre { background: #f7f7f7; padding: .8rem; overflow: auto; white-space: pre-wrap; }
iframe { width: 100%; height: 28rem; border: 1px solid #ccc; }
.muted { color: #777; }
"""


def _page(title: str, body: str, refresh: int | None = None) -> str:
    meta = f"<meta http-equiv=\"refresh\" content=\"{int(refresh)}\">" if refresh else ""
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{meta}"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _addresses(values: Any) -> str:
    return escape(", ".join(str(value) for value in values or []))


def inbox_page(messages: list[dict[str, Any]], api_url: str, smtp: str) -> str:
    """The inbox: newest first, one row per message with a link to its detail view."""
    rows = []
    for message in messages:
        link = f"/_dev/view/{int(message['id'])}"
        subject = message.get("subject") or "(no subject)"
        rows.append(
            "<tr>"
            f"<td>{escape(str(message.get('received_at', '')))}</td>"
            f"<td class=\"door\">{escape(str(message.get('door', '')))}</td>"
            f"<td>{escape(str(message.get('from') or ''))}</td>"
            f"<td>{_addresses(message.get('to'))}</td>"
            f"<td><a href=\"{link}\">{escape(str(subject))}</a></td>"
            f"<td class=\"request-id\">{escape(str(message.get('request_id') or '-'))}</td>"
            "</tr>"
        )
    table = (
        "<table><thead><tr><th>time</th><th>door</th><th>from</th><th>to</th><th>subject</th>"
        "<th>request id</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else "<p class=\"muted\">No messages yet.</p>"
    )
    header = (
        f"<h1>lettr dev inbox</h1><p class=\"muted\">API {escape(api_url)} &middot; SMTP "
        f"{escape(smtp)} &middot; {len(messages)} message(s) &middot; "
        "<a href=\"/_dev/messages\">JSON</a></p>"
    )
    return _page("lettr dev inbox", header + table, refresh=INBOX_REFRESH_SECONDS)


def _field_rows(message: dict[str, Any]) -> str:
    fields = [
        ("door", message.get("door")),
        ("received", message.get("received_at")),
        ("request id", message.get("request_id") or "-"),
        ("state", message.get("state")),
        ("scheduled at", message.get("scheduled_at")),
        ("from", message.get("from")),
        ("from name", message.get("from_name")),
        ("to", ", ".join(message.get("to") or [])),
        ("cc", ", ".join(message.get("cc") or [])),
        ("bcc", ", ".join(message.get("bcc") or [])),
        ("reply to", message.get("reply_to")),
        ("subject", message.get("subject")),
        ("tag", message.get("tag")),
        ("template", message.get("template_slug")),
        ("idempotency key", message.get("idempotency_key")),
    ]
    rows = "".join(
        f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>"
        for name, value in fields
        if value not in (None, "")
    )
    for name in ("metadata", "headers", "substitution_data", "options"):
        if message.get(name):
            rows += (
                f"<tr><th>{escape(name)}</th><td><pre>"
                f"{escape(json.dumps(message[name], indent=2, ensure_ascii=False))}</pre></td></tr>"
            )
    return f"<table>{rows}</table>"


def detail_page(message: dict[str, Any]) -> str:
    """One message: its fields, HTML body (sandboxed), text, attachments and raw source."""
    message_id = int(message["id"])
    parts = [
        "<p><a href=\"/\">&larr; inbox</a></p>"
        f"<h1>{escape(str(message.get('subject') or ''))}</h1>",
        _field_rows(message),
    ]
    if message.get("html"):
        parts.append(
            "<h2>HTML</h2><iframe sandbox=\"\" referrerpolicy=\"no-referrer\" "
            f"title=\"HTML body\" src=\"/_dev/messages/{message_id}/html\"></iframe>"
        )
    if message.get("text"):
        parts.append(f"<h2>Text</h2><pre>{escape(str(message['text']))}</pre>")
    attachments = message.get("attachments") or []
    if attachments:
        items = "".join(
            f"<li><a href=\"/_dev/messages/{message_id}/attachments/{index}\" download>"
            f"{escape(str(item.get('name') or f'attachment-{index}'))}</a> "
            f"<span class=\"muted\">{escape(str(item.get('type', '')))}, "
            f"{int(item.get('size', 0))} bytes</span></li>"
            for index, item in enumerate(attachments)
        )
        parts.append(f"<h2>Attachments</h2><ul>{items}</ul>")
    for warning in message.get("warnings") or []:
        parts.append(f"<p class=\"muted\">warning: {escape(str(warning))}</p>")
    label = "Raw JSON" if message.get("door") == "api" else "Raw MIME"
    parts.append(f"<h2>{label}</h2><pre>{escape(str(message.get('raw') or ''))}</pre>")
    return _page(str(message.get("subject") or "message"), "".join(parts))


def not_found_page() -> str:
    """A plain 404 page."""
    return _page("not found", "<h1>Not found</h1><p><a href=\"/\">inbox</a></p>")
