"""A fast loopback stand-in for Lettr's and SparkPost's send endpoints.

It speaks just enough HTTP/1.1 (keep-alive, ``Content-Length`` bodies, Nagle off) on an
asyncio protocol to answer:

- ``POST /emails`` and ``POST /emails/scheduled`` with Lettr's success envelope
  ``{"message", "data": {"request_id", "accepted", "rejected"}}`` (201 for scheduled), plus
  ``X-RateLimit-Limit/Remaining/Reset`` on every answer and ``Retry-After`` on a 429;
- ``POST /api/v1/transmissions/`` with SparkPost's ``{"results": {"id",
  "total_accepted_recipients", "total_rejected_recipients"}}``.

Knobs, changed at run time through ``POST /_config`` (JSON): ``latency_ms`` added before every
answer, ``rate_limit`` requests per one-second window (``None``: unlimited; the headers then
advertise ``advertised_limit``), ``window`` ``"fixed"`` (aligned to unix seconds, as
``X-RateLimit-Reset`` suggests) or ``"sliding"`` (no more than N in any trailing second), and
``reset`` to zero the counters. ``GET /_stats`` returns the counters: requests, answers by
status, 429s, recipients accepted, invalid requests, bytes received, repeated idempotency keys,
and the SMTP sink's messages and recipients when one runs beside it.

Run it alone with ``python -m benchmarks.stub_server``; it prints one JSON line with its ports.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import math
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any

#: Lettr's documented ceiling for attachments after base64
MAX_ATTACHMENTS_BASE64 = 5 * 1024 * 1024
MAX_RECIPIENTS = 50
_REASONS = {
    200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
    411: "Length Required", 422: "Unprocessable Entity", 429: "Too Many Requests",
}


@dataclass
class StubConfig:
    """What the stub does to each request."""

    latency_ms: float = 0.0
    rate_limit: int | None = None
    advertised_limit: int = 100_000
    window: str = "fixed"


@dataclass
class StubStats:
    """Counters since the last reset (API requests only; control calls are not counted)."""

    requests: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    rate_limited: int = 0
    recipients: int = 0
    invalid: int = 0
    bytes_in: int = 0
    repeated_keys: int = 0
    first_at: float | None = None
    last_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "rate_limited": self.rate_limited,
            "recipients": self.recipients,
            "invalid": self.invalid,
            "bytes_in": self.bytes_in,
            "repeated_keys": self.repeated_keys,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


class RateWindow:
    """Counts requests per one-second window and says whether one more is allowed."""

    def __init__(self, limit: int | None, kind: str = "fixed") -> None:
        self.limit = limit
        self.kind = kind
        self._window = -1
        self._count = 0
        self._times: collections.deque[float] = collections.deque()

    def admit(self, now: float) -> tuple[bool, int, int, float]:
        """``(allowed, limit, remaining, reset_at)`` for a request arriving at ``now``."""
        limit = self.limit
        if limit is None:
            return True, 0, 0, math.floor(now) + 1
        if self.kind == "sliding":
            times = self._times
            while times and times[0] <= now - 1.0:
                times.popleft()
            reset_at = (times[0] + 1.0) if times else now + 1.0
            if len(times) >= limit:
                return False, limit, 0, reset_at
            times.append(now)
            return True, limit, limit - len(times), reset_at
        window = math.floor(now)
        if window != self._window:
            self._window = window
            self._count = 0
        if self._count >= limit:
            return False, limit, 0, window + 1
        self._count += 1
        return True, limit, limit - self._count, window + 1


class StubState:
    """Configuration, counters and the rate window shared by every connection."""

    def __init__(self, config: StubConfig | None = None) -> None:
        self.config = config or StubConfig()
        self.stats = StubStats()
        self.window = RateWindow(self.config.rate_limit, self.config.window)
        self.ids = itertools.count(10_000_000_001)
        self.keys: set[str] = set()
        self.smtp: Any = None  # an SmtpSink when one runs in this process

    def reconfigure(self, changes: dict[str, Any]) -> None:
        """Apply ``POST /_config``; ``reset`` zeroes counters, the window and the sink."""
        cfg = self.config
        for name in ("latency_ms", "rate_limit", "advertised_limit", "window"):
            if name in changes:
                setattr(cfg, name, changes[name])
        self.window = RateWindow(cfg.rate_limit, cfg.window)
        if changes.get("reset"):
            self.stats = StubStats()
            self.keys.clear()
            if self.smtp is not None:
                self.smtp.reset()

    def snapshot(self) -> dict[str, Any]:
        data = self.stats.as_dict()
        data["config"] = vars(self.config).copy()
        if self.smtp is not None:
            data["smtp"] = self.smtp.as_dict()
        return data


def _lettr_recipients(body: dict[str, Any]) -> int | None:
    """Recipients of a Lettr send body, or None when the body breaks the spec's rules."""
    to = body.get("to")
    if not body.get("from") or not isinstance(to, list) or not to:
        return None
    total = len(to) + len(body.get("cc") or ()) + len(body.get("bcc") or ())
    if total > MAX_RECIPIENTS:
        return None
    if not (body.get("html") or body.get("text") or body.get("template_slug")):
        return None
    attachments = body.get("attachments") or ()
    if sum(len(a.get("data", "")) for a in attachments) > MAX_ATTACHMENTS_BASE64:
        return None
    return total


def _sparkpost_recipients(body: dict[str, Any]) -> int | None:
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        return None
    return len(recipients)


class StubProtocol(asyncio.Protocol):
    """One client connection: parse requests off the stream, answer them in order."""

    def __init__(self, state: StubState) -> None:
        self.state = state
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.head: tuple[str, str, dict[str, str]] | None = None
        self.need = 0
        self.pending = 0
        self.close_after = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        while True:
            if self.head is None:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = buf[:end].decode("latin-1")
                del buf[: end + 4]
                lines = head.split("\r\n")
                try:
                    method, target, _version = lines[0].split(" ", 2)
                except ValueError:
                    self._write(400, {"message": "bad request line"}, close=True)
                    return
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    self._write(411, {"message": "send a Content-Length"}, close=True)
                    return
                self.head = (method, target, headers)
                self.need = int(headers.get("content-length") or 0)
            if len(buf) < self.need:
                return
            body = bytes(buf[: self.need])
            del buf[: self.need]
            method, target, headers = self.head
            self.head = None
            self.close_after = headers.get("connection", "").lower() == "close"
            self.handle(method, target, headers, body)

    # -- answering ------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        path = target.split("?", 1)[0]
        state = self.state
        if path == "/_stats":
            self._write(200, state.snapshot())
            return
        if path == "/_config":
            state.reconfigure(json.loads(body or b"{}"))
            self._write(200, state.snapshot())
            return
        if path == "/health":
            self._write(200, {"status": "ok"})
            return
        if path in ("/emails", "/emails/scheduled", "/api/emails", "/api/emails/scheduled"):
            kind = "lettr"
        elif path.rstrip("/").endswith("/transmissions"):
            kind = "sparkpost"
        else:
            self._write(404, {"message": "not found"})
            return
        if method != "POST":
            self._write(405, {"message": "method not allowed"})
            return
        stats = state.stats
        now = time.time()
        stats.requests += 1
        stats.bytes_in += len(body)
        if stats.first_at is None:
            stats.first_at = now
        stats.last_at = now
        allowed, limit, remaining, reset_at = state.window.admit(now)
        extra = {
            "X-RateLimit-Limit": str(limit or state.config.advertised_limit),
            "X-RateLimit-Remaining": str(remaining if limit else state.config.advertised_limit),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if not allowed:
            stats.rate_limited += 1
            extra["Retry-After"] = str(max(1, math.ceil(reset_at - now)))
            if kind == "lettr":
                answer: dict[str, Any] = {
                    "message": "Too many requests.", "error_code": "rate_limit_exceeded",
                }
            else:
                answer = {"errors": [{"message": "Too many requests", "code": "1702"}]}
            self._answer(429, answer, extra)
            return
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            count = None
        elif kind == "lettr":
            count = _lettr_recipients(parsed)
        else:
            count = _sparkpost_recipients(parsed)
        if count is None:
            stats.invalid += 1
            self._answer(422, {"message": "The given data was invalid.",
                               "error_code": "validation_error", "errors": {}}, extra)
            return
        key = headers.get("idempotency-key")
        if key:
            if key in state.keys:
                stats.repeated_keys += 1
            state.keys.add(key)
        stats.recipients += count
        request_id = str(next(state.ids))
        if kind == "lettr":
            scheduled = path.endswith("/scheduled")
            answer = {
                "message": "Email scheduled." if scheduled else "Email queued for delivery.",
                "data": {"request_id": request_id, "accepted": count, "rejected": 0},
            }
            self._answer(201 if scheduled else 200, answer, extra)
        else:
            answer = {"results": {"id": request_id, "total_accepted_recipients": count,
                                  "total_rejected_recipients": 0}}
            self._answer(200, answer, extra)

    def _answer(self, status: int, payload: dict[str, Any], extra: dict[str, str]) -> None:
        self.state.stats.by_status[status] += 1
        delay = self.state.config.latency_ms / 1000.0
        if delay > 0:
            asyncio.get_running_loop().call_later(
                delay, self._write, status, payload, self.close_after, extra
            )
        else:
            self._write(status, payload, self.close_after, extra)

    def _write(
        self,
        status: int,
        payload: dict[str, Any],
        close: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        transport = self.transport
        if transport is None:
            return
        body = json.dumps(payload, separators=(",", ":")).encode()
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close" if close else "Connection: keep-alive",
        ]
        if extra:
            lines.extend(f"{k}: {v}" for k, v in extra.items())
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if close:
            transport.close()


async def serve(
    state: StubState, host: str = "127.0.0.1", port: int = 0
) -> asyncio.AbstractServer:
    """Start listening; the caller keeps the loop running."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: StubProtocol(state), host, port, backlog=1024, reuse_address=True
    )


def free_port() -> int:
    """An unused loopback TCP port (for servers that cannot bind port 0 themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _main(args: argparse.Namespace) -> None:
    state = StubState(StubConfig(latency_ms=args.latency_ms, rate_limit=args.rate_limit,
                                 window=args.window))
    server = await serve(state, "127.0.0.1", args.port)
    http_port = server.sockets[0].getsockname()[1]
    smtp_port = None
    if args.smtp:
        from .smtp_sink import SmtpSink

        sink = SmtpSink(port=args.smtp_port or free_port())
        sink.start()
        state.smtp = sink
        smtp_port = sink.port
    print(json.dumps({"http_port": http_port, "smtp_port": smtp_port}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        if state.smtp is not None:
            state.smtp.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.stub_server [--port N] [--smtp] ...``"""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=None)
    parser.add_argument("--window", choices=("fixed", "sliding"), default="fixed")
    parser.add_argument("--smtp", action="store_true", help="run the SMTP sink beside it")
    parser.add_argument("--smtp-port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
