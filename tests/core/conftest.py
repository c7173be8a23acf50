"""Fixtures for the core unit tests: a config, a fake clock, an ApiTransport on `responses`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
import responses

from lettr_core import LettrConfig
from lettr_core.api import ApiTransport

FAKE_KEY = "lttr_" + "0" * 60 + "f00d"
API = "https://app.lettr.com/api"


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


def ok(request_id: str = "100", accepted: int = 1, rejected: int = 0) -> dict[str, object]:
    """A success envelope as Lettr sends it."""
    return {
        "message": "Email queued for delivery.",
        "data": {"request_id": request_id, "accepted": accepted, "rejected": rejected},
    }


@pytest.fixture
def config() -> LettrConfig:
    return LettrConfig.from_mapping({"API_KEY": FAKE_KEY}, environ={})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def transport(config: LettrConfig, clock: FakeClock, now: datetime) -> Iterator[ApiTransport]:
    api = ApiTransport(
        config, sleep=clock.sleep, clock=clock, wall_clock=clock.wall, now=lambda: now
    )
    yield api
    api.close()


@pytest.fixture
def mock_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
