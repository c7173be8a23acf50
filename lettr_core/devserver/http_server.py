"""The dev server's HTTP side: stdlib ``ThreadingHTTPServer``, routing and connection drops.

Routes: the Lettr API (see :mod:`.api`), the inbox pages (``/``, ``/_dev/view/{id}``) and the
JSON tools under ``/_dev`` (messages, attachments, stats, config). Everything under ``/_dev`` and
the pages pass through :meth:`DevServer.mask`, so a key the server has seen is never shown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import pages
from .api import Answer, handle_api

if TYPE_CHECKING:
    from .server import DevServer

log = logging.getLogger("lettr_core.devserver")

#: largest request body read (a 5 MB attachment limit, base64, plus the rest of the JSON)
MAX_BODY_BYTES = 16 * 1024 * 1024


class DevHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its :class:`DevServer`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dev: DevServer) -> None:
        self.dev = dev
        super().__init__(address, DevRequestHandler)


class DevRequestHandler(BaseHTTPRequestHandler):
    """One HTTP connection (keep-alive, HTTP/1.1)."""

    protocol_version = "HTTP/1.1"
    #: headers and body leave in separate writes: without TCP_NODELAY, Nagle's algorithm and
    #: the client's delayed ACK hold each keep-alive answer for ~40 ms
    disable_nagle_algorithm = True
    server_version = "lettr-devserver"
    server: DevHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Request lines go to the ``lettr_core.devserver`` logger (never headers, never keys)."""
        log.info("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        """GET."""
        self._handle("GET")

    def do_POST(self) -> None:
        """POST."""
        self._handle("POST")

    def do_DELETE(self) -> None:
        """DELETE."""
        self._handle("DELETE")

    def do_PUT(self) -> None:
        """PUT (only to answer 404/405 in the spec's envelope)."""
        self._handle("PUT")

    def do_PATCH(self) -> None:
        """PATCH (only to answer 404/405 in the spec's envelope)."""
        self._handle("PATCH")

    def _read_body(self) -> bytes | None:
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _handle(self, method: str) -> None:
        dev = self.server.dev
        path = urlsplit(self.path).path.rstrip("/") or "/"
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(Answer(413, {"message": "Request body too large.",
                                    "error_code": "validation_error",
                                    "errors": {"body": ["The request body is too large."]}}))
            return
        if path == "/" or path.startswith("/_dev"):
            self._send(self._dev_route(method, path, body), mask=True)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        dev.wait_latency()
        answer = handle_api(dev, method, path, headers, body)
        if answer.drop:
            self._drop()
            return
        for name, value in dev.faults.peek_window().headers().items():
            answer.headers.setdefault(name, value)
        self._send(answer)

    def _drop(self) -> None:
        """Close the connection with a reset and no answer at all."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )

    def _send(self, answer: Answer, mask: bool = False) -> None:
        body = answer.encoded()
        if mask:
            body = self.server.dev.mask(body)
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json", **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # -- dev tools and pages -------------------------------------------------------------

    def _dev_route(self, method: str, path: str, body: bytes) -> Answer:
        dev = self.server.dev
        parts = [part for part in path.split("/") if part]
        if method == "GET" and parts == []:
            return _html(pages.inbox_page(dev.messages(), dev.api_url, dev.smtp_address))
        if parts[:2] == ["_dev", "messages"]:
            return self._messages_route(method, parts[2:])
        if method == "GET" and len(parts) == 3 and parts[:2] == ["_dev", "view"]:
            message = dev.message(parts[2])
            if message is None:
                return Answer(404, body=pages.not_found_page().encode(), headers=_HTML)
            return _html(pages.detail_page(message))
        if method == "GET" and parts == ["_dev", "stats"]:
            return Answer(200, dev.stats)
        if parts == ["_dev", "config"]:
            if method == "POST":
                try:
                    dev.configure(**json.loads(body.decode("utf-8") or "{}"))
                except (TypeError, ValueError) as exc:
                    return Answer(422, {"message": str(exc), "error_code": "validation_error",
                                        "errors": {"config": [str(exc)]}})
            return Answer(200, dev.config())
        return Answer(404, {"message": "Not found.", "error_code": "not_found"})

    def _messages_route(self, method: str, rest: list[str]) -> Answer:
        dev = self.server.dev
        if not rest:
            if method == "GET":
                door = parse_qs(urlsplit(self.path).query).get("door", [None])[0]
                return Answer(200, {"messages": dev.messages(door)})
            if method == "DELETE":
                dev.clear()
                return Answer(200, {"message": "Cleared."})
        elif method == "GET":
            message = dev.message(rest[0])
            if message is None:
                return Answer(404, {"message": "Message not found.", "error_code": "not_found"})
            if len(rest) == 1:
                return Answer(200, message)
            if rest[1:] == ["html"]:
                return Answer(200, body=(message.get("html") or "").encode("utf-8"),
                              headers={"Content-Type": "text/html; charset=utf-8",
                                       "Content-Security-Policy": pages.BODY_CSP})
            if len(rest) == 3 and rest[1] == "attachments" and rest[2].isdigit():
                return _attachment(dev, message, int(rest[2]))
        return Answer(404, {"message": "Not found.", "error_code": "not_found"})


_HTML = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": pages.PAGE_CSP}


def _html(text: str) -> Answer:
    return Answer(200, body=text.encode("utf-8"), headers=dict(_HTML))


def _attachment(dev: DevServer, message: dict[str, Any], index: int) -> Answer:
    content = dev.store.attachment(int(message["id"]), index)
    listed = message.get("attachments") or []
    if content is None or index >= len(listed):
        return Answer(404, {"message": "Attachment not found.", "error_code": "not_found"})
    name = str(listed[index].get("name") or f"attachment-{index}")
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "attachment"
    return Answer(
        200,
        body=content,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename=\"{safe}\"",
            "Content-Security-Policy": "sandbox",
        },
    )
