"""A plaintext loopback SMTP sink (aiosmtpd) that counts what the SMTP peers deliver.

Only for benchmarks: no TLS, no auth, 127.0.0.1 only. It keeps counts, never the messages.
"""

from __future__ import annotations

import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

#: Big enough for Lettr's 5 MB attachment ceiling after MIME's line-wrapped base64
DATA_SIZE_LIMIT = 64 * 1024 * 1024


class CountingHandler:
    """aiosmtpd handler: every DATA is accepted and counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages = 0
        self.recipients = 0
        self.bytes_in = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        with self.lock:
            self.messages += 1
            self.recipients += len(envelope.rcpt_tos)
            self.bytes_in += len(content)
        return "250 2.0.0 queued"


class SmtpSink:
    """The sink on ``127.0.0.1:port``, run in a background thread by aiosmtpd's controller."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = CountingHandler()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=port,
            server_kwargs={"data_size_limit": DATA_SIZE_LIMIT},
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.messages = self.handler.recipients = self.handler.bytes_in = 0

    def as_dict(self) -> dict[str, Any]:
        h = self.handler
        return {"messages": h.messages, "recipients": h.recipients, "bytes_in": h.bytes_in}
