"""Measure the stub server alone: how many requests per second can it answer?

Load comes from raw keep-alive sockets in several client processes sending one pre-built
``POST /emails`` again and again (no HTTP library: the client must cost less than any sender).
The figure is a lower bound on the stub's capacity; the harness compares it with the fastest
sender's request rate to show that the stub was not the bottleneck.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import time
from typing import Any

_BODY = json.dumps({
    "from": "bench@example.com", "to": ["r@example.com"], "subject": "capacity",
    "text": "capacity probe",
}).encode()


def _request(port: int) -> bytes:
    head = (
        f"POST /emails HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Authorization: Bearer lttr_test_capacity\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(_BODY)}\r\n\r\n"
    )
    return head.encode() + _BODY


def _read_response(sock: socket.socket, buf: bytearray) -> int:
    """Read one response off ``sock`` (keeping any surplus in ``buf``); return its status."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[:end]).decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            total = end + 4 + length
            while len(buf) < total:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            del buf[:total]
            return int(head.split(" ", 2)[1])
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk


def _client(port: int, seconds: float, go: Any, out: Any) -> None:
    request = _request(port)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray()
    go.wait()
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sock.sendall(request)
        _read_response(sock, buf)
        done += 1
    sock.close()
    out.put(done)


def measure(port: int, seconds: float = 2.0, clients: int | None = None) -> float:
    """Requests per second the stub on ``port`` answered under a raw-socket load."""
    clients = clients or max(1, min(4, os.cpu_count() or 1))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    go = ctx.Event()
    procs = [ctx.Process(target=_client, args=(port, seconds, go, out)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    time.sleep(0.5)  # let every client connect before the clock starts
    go.set()
    total = sum(out.get(timeout=seconds + 60) for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds
