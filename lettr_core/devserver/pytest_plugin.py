"""pytest fixtures for the dev server; enable with ``pytest_plugins = [
"lettr_core.devserver.pytest_plugin"]`` in a ``conftest.py``.

- ``devserver``: a running :class:`DevServer` shared by the session, emptied and with its knobs
  back to their defaults before each test (cheap: no new sockets or certificates per test).
- ``devserver_factory``: ``devserver_factory(**kwargs)`` starts a dedicated DevServer with those
  arguments (fault rates, rate limit, a fake clock, a SQLite store...), stopped after the test.
- ``devserver_api_key``: an obviously fake key the dev server accepts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .faults import Knobs
from .server import DevServer

#: an obviously fake key that the dev server (started without ``api_key``) accepts
TEST_API_KEY = "lttr_" + "0" * 64


@pytest.fixture(scope="session")
def devserver_session() -> Iterator[DevServer]:
    """One dev server for the whole session (use ``devserver`` in tests)."""
    with DevServer() as server:
        yield server


@pytest.fixture
def devserver(devserver_session: DevServer) -> DevServer:
    """The session's dev server, emptied, counters zeroed, knobs at their defaults."""
    devserver_session.configure(**dataclasses.asdict(Knobs()))
    devserver_session.clear()
    return devserver_session


@pytest.fixture
def devserver_factory() -> Iterator[Callable[..., DevServer]]:
    """Start dedicated dev servers with the given ``DevServer`` arguments."""
    started: list[DevServer] = []

    def make(**kwargs: Any) -> DevServer:
        server = DevServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.close()


@pytest.fixture
def devserver_api_key() -> str:
    """A key the dev server accepts (``lttr_`` + 64 zeros)."""
    return TEST_API_KEY
