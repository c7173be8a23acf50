"""The scenarios of issue 7 (P1..P5) and the message data they send."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Any

#: Lettr's ceiling for a message's attachments after base64 (``lettr_core.limits``)
ATTACHMENTS_BASE64_LIMIT = 5 * 1024 * 1024
#: recipients per request (``lettr_core.limits.MAX_RECIPIENTS_PER_REQUEST``)
RECIPIENTS_PER_REQUEST = 50
SENDER = "Bench Shop <shop@bench.example.com>"
SENDER_ADDRESS = "shop@bench.example.com"


@dataclass(frozen=True)
class Scenario:
    """One workload: how many messages, what they look like, and the stub's behaviour."""

    name: str
    title: str
    messages: int
    newsletter: bool = False
    latency_ms: float = 0.0
    rate_limit: int | None = None
    attachment_base64_bytes: int = 0
    attachment_files: int = 3

    def scaled(self, scale: float) -> Scenario:
        """The same scenario with ``messages`` multiplied by ``scale`` (at least 1)."""
        if self.attachment_base64_bytes:
            return self
        return replace(self, messages=max(1, round(self.messages * scale)))

    @property
    def raw_bytes_per_file(self) -> int:
        """Raw size of each file, so that all of them fit the base64 budget exactly."""
        per_file_encoded = self.attachment_base64_bytes // max(1, self.attachment_files) // 4 * 4
        return per_file_encoded // 4 * 3

    @property
    def encoded_attachment_bytes(self) -> int:
        """Size of the attachments after base64 (what Lettr's 5 MB limit counts)."""
        return self.attachment_files * 4 * math.ceil(self.raw_bytes_per_file / 3)

    def physical_seconds(self) -> float | None:
        """The least time Lettr's limit allows when messages are coalesced 50 per request."""
        if self.rate_limit is None:
            return None
        per_request = RECIPIENTS_PER_REQUEST if self.newsletter else 1
        return math.ceil(self.messages / per_request) / self.rate_limit


SCENARIOS: dict[str, Scenario] = {
    "P1": Scenario("P1", "2,000 distinct messages, no latency, no limit", 2000),
    "P2": Scenario("P2", "newsletter: 2,000 recipients, identical content, 50 ms, 3 req/s",
                   2000, newsletter=True, latency_ms=50, rate_limit=3),
    "P3": Scenario("P3", "burst of 300 distinct messages at 3 req/s", 300, rate_limit=3),
    "P4": Scenario("P4", "2,000 distinct messages, 100 ms latency, 50 req/s", 2000,
                   latency_ms=100, rate_limit=50),
    # 5 MB after base64 is 3.75 MiB raw, split over three files
    "P5": Scenario("P5", "one message with attachments at the 5 MB (base64) limit", 1,
                   attachment_base64_bytes=ATTACHMENTS_BASE64_LIMIT),
}


def message_data(scenario: Scenario, count: int) -> list[dict[str, Any]]:
    """Plain data for ``count`` messages: ``to``, ``subject``, ``text``, ``html``, files."""
    items: list[dict[str, Any]] = []
    if scenario.newsletter:
        subject = "Our December newsletter"
        text = "Hello,\n\nHere is what is new this month at the shop.\n" * 6
        html = "<html><body><h1>December</h1>" + "<p>What is new this month.</p>" * 20 + \
            "</body></html>"
    for i in range(count):
        if not scenario.newsletter:
            subject = f"Your order #{100000 + i} has shipped"
            text = f"Hello customer {i},\n\nOrder #{100000 + i} is on its way.\n" * 6
            html = (f"<html><body><h1>Order #{100000 + i}</h1>"
                    + f"<p>Parcel {i} left the warehouse.</p>" * 20 + "</body></html>")
        items.append({
            "to": f"customer{i}@bench.example.com",
            "subject": subject,
            "text": text,
            "html": html,
            "files": [],
        })
    if scenario.attachment_base64_bytes and items:
        per_file = scenario.raw_bytes_per_file
        items[0]["files"] = [
            (f"report-{n}.bin", os.urandom(per_file), "application/octet-stream")
            for n in range(scenario.attachment_files)
        ]
    return items
