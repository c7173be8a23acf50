"""Where the dev server keeps what it received: in memory, or in one SQLite file.

A stored message is a plain JSON-able dict (see :data:`MESSAGE_FIELDS`); attachment contents are
kept beside it and served on their own route, so listings stay small. The store also remembers
the first answer given to each ``Idempotency-Key``.

Both stores are thread-safe: the HTTP server answers each request in its own thread and the SMTP
relay runs in another.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any, Protocol

#: the keys of a stored message, in the order the JSON listing shows them
MESSAGE_FIELDS = (
    "id", "request_id", "door", "received_at", "state", "scheduled_at", "from", "from_name",
    "to", "cc", "bcc", "reply_to", "subject", "text", "html", "amp_html", "headers", "metadata",
    "tag", "template_slug", "template_version", "project_id", "substitution_data", "options",
    "attachments", "idempotency_key", "envelope_from", "envelope_to", "warnings", "raw",
)


class Store(Protocol):
    """What the dev server needs from a store."""

    def add(self, message: dict[str, Any], contents: list[bytes]) -> dict[str, Any]:
        """Store ``message`` (without ``id``) and its attachment contents; return it with id."""

    def list(self) -> list[dict[str, Any]]:
        """All messages, newest first."""

    def get(self, message_id: int) -> dict[str, Any] | None:
        """One message by its dev-server id."""

    def find_request(self, request_id: str) -> dict[str, Any] | None:
        """One message by the ``request_id`` the API answered with."""

    def update_state(self, message_id: int, state: str) -> None:
        """Change a message's ``state`` (e.g. a cancelled scheduled message)."""

    def attachment(self, message_id: int, index: int) -> bytes | None:
        """The content of attachment ``index`` of a message."""

    def remember_answer(self, key: str, status: int, body: bytes) -> None:
        """Remember the first answer given to an ``Idempotency-Key``."""

    def answer_for(self, key: str) -> tuple[int, bytes] | None:
        """The remembered answer for an ``Idempotency-Key``."""

    def clear(self) -> None:
        """Forget every message and idempotency key."""

    def close(self) -> None:
        """Release the store's resources."""


class MemoryStore:
    """Messages in a list; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[int, dict[str, Any]] = {}
        self._contents: dict[int, list[bytes]] = {}
        self._answers: dict[str, tuple[int, bytes]] = {}
        self._next_id = 1

    def add(self, message: dict[str, Any], contents: list[bytes]) -> dict[str, Any]:
        with self._lock:
            stored = {**message, "id": self._next_id}
            self._messages[self._next_id] = stored
            self._contents[self._next_id] = list(contents)
            self._next_id += 1
            return _copy(stored)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_copy(self._messages[key]) for key in sorted(self._messages, reverse=True)]

    def get(self, message_id: int) -> dict[str, Any] | None:
        with self._lock:
            found = self._messages.get(message_id)
            return _copy(found) if found else None

    def find_request(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            for message in self._messages.values():
                if message.get("request_id") == request_id:
                    return _copy(message)
            return None

    def update_state(self, message_id: int, state: str) -> None:
        with self._lock:
            if message_id in self._messages:
                self._messages[message_id]["state"] = state

    def attachment(self, message_id: int, index: int) -> bytes | None:
        with self._lock:
            contents = self._contents.get(message_id, [])
            return contents[index] if 0 <= index < len(contents) else None

    def remember_answer(self, key: str, status: int, body: bytes) -> None:
        with self._lock:
            self._answers.setdefault(key, (status, body))

    def answer_for(self, key: str) -> tuple[int, bytes] | None:
        with self._lock:
            return self._answers.get(key)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._contents.clear()
            self._answers.clear()

    def close(self) -> None:
        """Nothing to release."""


def _copy(message: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(message))
    return result


_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_request_id ON messages (request_id);
CREATE TABLE IF NOT EXISTS attachments (
    message_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body BLOB NOT NULL
);
"""


class SqliteStore:
    """Messages in one SQLite file, kept across restarts of the dev server."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    def add(self, message: dict[str, Any], contents: list[bytes]) -> dict[str, Any]:
        with self._lock:
            self._db.execute("BEGIN")
            cursor = self._db.execute(
                "INSERT INTO messages (request_id, data) VALUES (?, ?)",
                (message.get("request_id"), json.dumps(message)),
            )
            message_id = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO attachments (message_id, position, content) VALUES (?, ?, ?)",
                [(message_id, index, content) for index, content in enumerate(contents)],
            )
            self._db.execute("COMMIT")
        return {**_copy(message), "id": message_id}

    def _load(self, row: tuple[int, str]) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(row[1])
        message["id"] = row[0]
        return message

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT id, data FROM messages ORDER BY id DESC").fetchall()
        return [self._load(row) for row in rows]

    def get(self, message_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, data FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        return self._load(row) if row else None

    def find_request(self, request_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, data FROM messages WHERE request_id = ? ORDER BY id LIMIT 1",
                (request_id,),
            ).fetchone()
        return self._load(row) if row else None

    def update_state(self, message_id: int, state: str) -> None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                return
            data = json.loads(row[0])
            data["state"] = state
            self._db.execute(
                "UPDATE messages SET data = ? WHERE id = ?", (json.dumps(data), message_id)
            )

    def attachment(self, message_id: int, index: int) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT content FROM attachments WHERE message_id = ? AND position = ?",
                (message_id, index),
            ).fetchone()
        return bytes(row[0]) if row else None

    def remember_answer(self, key: str, status: int, body: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO idempotency (key, status, body) VALUES (?, ?, ?)",
                (key, status, body),
            )

    def answer_for(self, key: str) -> tuple[int, bytes] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT status, body FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def clear(self) -> None:
        with self._lock:
            self._db.executescript(
                "DELETE FROM messages; DELETE FROM attachments; DELETE FROM idempotency;"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(path: str | None) -> Store:
    """A :class:`SqliteStore` on ``path``, or a :class:`MemoryStore` when ``path`` is None."""
    return SqliteStore(path) if path else MemoryStore()
