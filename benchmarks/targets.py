"""Start the stub server (and SMTP sink) in their own process and drive them from the harness."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent


class Targets:
    """The stub HTTP API and the SMTP sink, in one child process on 127.0.0.1."""

    def __init__(self, smtp: bool = True) -> None:
        self.smtp = smtp
        self.proc: subprocess.Popen[str] | None = None
        self.http_port = 0
        self.smtp_port: int | None = None

    def start(self) -> Targets:
        cmd = [sys.executable, "-m", "benchmarks.stub_server"]
        if self.smtp:
            cmd.append("--smtp")
        path = os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONPATH=path)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, text=True, cwd=str(_ROOT), env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the stub server did not start")
        ports = json.loads(line)
        self.http_port = int(ports["http_port"])
        self.smtp_port = ports["smtp_port"]
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def __enter__(self) -> Targets:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def configure(
        self,
        *,
        latency_ms: float = 0.0,
        rate_limit: int | None = None,
        window: str = "fixed",
        reset: bool = True,
    ) -> dict[str, Any]:
        """Set the stub's latency and rate limit, zeroing its counters (and the sink's)."""
        answer: dict[str, Any] = self._call("POST", "/_config", {
            "latency_ms": latency_ms, "rate_limit": rate_limit, "window": window,
            "reset": reset,
        })
        return answer

    def stats(self) -> dict[str, Any]:
        """The counters since the last reset."""
        answer: dict[str, Any] = self._call("GET", "/_stats")
        return answer
