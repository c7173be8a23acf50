"""``make demo``: both example apps through the three stages of a move to Lettr, locally.

Starts ``lettr devserver`` (a local stand-in for Lettr: its HTTP API and its SMTP relay, on free
loopback ports), runs the Django and the Flask example once per stage as ordinary processes
configured only by environment variables, prints what the dev server received and stops it.
Nothing leaves this machine: the key is a fake one and any ``LETTR_*`` variable of the calling
shell is dropped, so a real key in the environment is never used.

Usage: ``python example_projects/demo.py [--keep]`` (``--keep``: leave the dev server running
for browsing its inbox until Ctrl-C). Exit status 0 when every stage sent what it should, 1
otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent

#: an obviously fake key; the dev server is told to accept this one only
DEMO_KEY = "lttr_" + "0" * 64

#: stage -> what it shows
STAGES = {
    "smtp": "stage 1: Lettr's backend, every message over the app's SMTP settings",
    "split": "stage 2: a key is set, 25% of recipients through the API, the rest over SMTP",
    "api": "stage 3: everything through Lettr's API",
}

#: seconds allowed for the dev server to start and for one example run
START_TIMEOUT = 30.0
RUN_TIMEOUT = 60.0


@dataclass(frozen=True)
class Example:
    """One example app: how to run its ``send demo mail`` command, and how much it sends."""

    name: str
    directory: Path
    command: tuple[str, ...]
    messages: int


EXAMPLES = (
    Example("django_site", HERE / "django_site", ("manage.py", "send_demo_mail"), 4),
    Example("flask_app", HERE / "flask_app", ("-m", "flask", "--app", "app", "send-demo-mail"), 5),
)

#: variables of the calling shell that could point an example somewhere else
_DROPPED_PREFIXES = ("LETTR_", "EMAIL_", "MAIL_", "DJANGO_", "FLASK_")
_DROPPED = {"DEMO_STAGE", "SSL_CERT_FILE", "SSL_CERT_DIR", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL"}


#: talks to the dev server directly, whatever HTTP_PROXY says
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DemoError(Exception):
    """The demo did not go as it should; the message says what happened."""


# -- the dev server ----------------------------------------------------------------------------


class DevServerProcess:
    """``lettr devserver`` as a child process on free ports; a context manager."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}
        self.stderr_path = workdir / "devserver.log"

    def __enter__(self) -> DevServerProcess:
        env = {**clean_environ(), "LETTR_DEVSERVER_API_KEY": DEMO_KEY}
        self._stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lettr_core.cli", "devserver", "--port", "0",
             "--smtp-port", "0", "--json", "--quiet", "--ca-file", str(self.workdir / "ca.pem")],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env,
        )
        line = _read_line(self.process, START_TIMEOUT)
        try:
            self.info = json.loads(line)
        except ValueError:
            self.stop()
            raise DemoError(
                f"the dev server did not start:\n{line}\n{self.stderr_path.read_text()}"
            ) from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> int | None:
        """SIGTERM, then wait (kill after 15 s); the exit status, or None if never started."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._stderr.close()
        return process.returncode

    def messages(self) -> list[dict[str, Any]]:
        """Every message the dev server holds, oldest first."""
        url = self.info["api_url"] + "/_dev/messages"
        with _NO_PROXY.open(url, timeout=10) as response:
            listing = json.load(response)
        return sorted(listing["messages"], key=lambda message: int(message["id"]))


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line of ``process``'s stdout, or "" if none comes within ``timeout``."""
    assert process.stdout is not None
    stream = process.stdout
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


# -- the examples ------------------------------------------------------------------------------


def clean_environ() -> dict[str, str]:
    """The caller's environment without anything that configures mail."""
    return {
        name: value for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED
    }


def example_environ(stage: str, info: dict[str, Any]) -> dict[str, str]:
    """The environment an example runs with in ``stage``, pointed at the dev server.

    Both apps' SMTP settings name the dev server's relay (user ``lettr``, password = the key,
    STARTTLS verified against the dev server's CA through ``SSL_CERT_FILE``); from stage 2 on
    the Lettr key is set. ``LETTR_API_URL`` is always the dev server, so nothing can reach
    the real Lettr.
    """
    smtp_host, smtp_port = str(info["smtp_host"]), str(info["smtp_port"])
    env = {
        **clean_environ(),
        "DEMO_STAGE": stage,
        "SSL_CERT_FILE": str(info["ca_path"]),
        "LETTR_API_URL": str(info["api_url"]),
        # Django's EMAIL_* (read by django_site/shopsite/settings.py)
        "EMAIL_HOST": smtp_host,
        "EMAIL_PORT": smtp_port,
        "EMAIL_HOST_USER": "lettr",
        "EMAIL_HOST_PASSWORD": DEMO_KEY,
        "EMAIL_USE_TLS": "1",
        # Flask-Mail's MAIL_* (read by flask_app/stages.py)
        "MAIL_SERVER": smtp_host,
        "MAIL_PORT": smtp_port,
        "MAIL_USERNAME": "lettr",
        "MAIL_PASSWORD": DEMO_KEY,
        "MAIL_USE_TLS": "1",
    }
    if stage != "smtp":
        env["LETTR_API_KEY"] = DEMO_KEY
    # the dev server is on loopback: never through an HTTP proxy the shell may name
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    return env


def run_example(example: Example, stage: str, info: dict[str, Any]) -> str:
    """Run one example's command; its output, or :class:`DemoError` when it fails."""
    try:
        result = subprocess.run(
            [sys.executable, *example.command], cwd=example.directory,
            env=example_environ(stage, info), capture_output=True, text=True,
            timeout=RUN_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"{example.name} ({stage}) took more than {RUN_TIMEOUT:g} s") from exc
    if result.returncode != 0:
        raise DemoError(
            f"{example.name} ({stage}) failed with exit status {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout.strip()


def check_stage(example: Example, stage: str, received: list[dict[str, Any]]) -> None:
    """Raise :class:`DemoError` unless ``received`` is what ``example`` sends in ``stage``."""
    doors = sorted({message["door"] for message in received})
    where = f"{example.name} ({stage})"
    if len(received) != example.messages:
        raise DemoError(f"{where}: the dev server received {len(received)} messages, "
                        f"expected {example.messages}")
    expected = {"smtp": ["smtp"], "split": ["api", "smtp"], "api": ["api"]}[stage]
    if doors != expected:
        raise DemoError(f"{where}: messages came through {doors}, expected {expected}")
    if any(m["door"] == "api" and not m.get("request_id") for m in received):
        raise DemoError(f"{where}: a message sent through the API has no request id")


# -- output ------------------------------------------------------------------------------------

COLUMNS = ("stage", "app", "door", "to", "subject", "request id")


def table_rows(runs: list[tuple[str, str, list[dict[str, Any]]]]) -> list[tuple[str, ...]]:
    """One row per received message: stage, app, door, to, subject, request id."""
    return [
        (stage, app, m["door"], ", ".join(m.get("to") or []), m.get("subject") or "",
         m.get("request_id") or "-")
        for stage, app, received in runs
        for m in received
    ]


def format_table(rows: list[tuple[str, ...]]) -> str:
    """A plain-text table with a header line."""
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells: tuple[str, ...]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(COLUMNS), rule, *(line(row) for row in rows)])


# -- main --------------------------------------------------------------------------------------


def run_demo(server: DevServerProcess) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Every example through every stage; what the dev server received for each run."""
    runs: list[tuple[str, str, list[dict[str, Any]]]] = []
    seen: set[int] = set()
    for stage, text in STAGES.items():
        print(f"\n{text}  (DEMO_STAGE={stage})", flush=True)
        for example in EXAMPLES:
            output = run_example(example, stage, server.info)
            received = [m for m in server.messages() if int(m["id"]) not in seen]
            seen.update(int(m["id"]) for m in received)
            check_stage(example, stage, received)
            doors = ", ".join(
                f"{sum(1 for m in received if m['door'] == door)} via {door}"
                for door in ("smtp", "api") if any(m["door"] == door for m in received)
            )
            print(f"  {output}  ->  dev server received {doors}", flush=True)
            runs.append((stage, example.name, received))
    return runs


def wait_for_interrupt(server: DevServerProcess) -> None:
    """Block until Ctrl-C or SIGTERM (or until the dev server exits by itself)."""
    assert server.process is not None
    try:
        server.process.wait()
    except KeyboardInterrupt:
        print()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 on success, 1 on a failure, 130 when interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="keep the dev server running for its inbox until Ctrl-C")
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM unwind through the `with` below, which stops the dev server (SIGINT
    # is set explicitly: a shell may have started us with it ignored).
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    workdir = Path(tempfile.mkdtemp(prefix="lettr-demo-"))
    try:
        return _run(args.keep, workdir)
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(workdir, ignore_errors=True)


def _run(keep: bool, workdir: Path) -> int:
    try:
        with DevServerProcess(workdir) as server:
            info = server.info
            print(f"lettr dev server: API {info['api_url']}, SMTP relay "
                  f"{info['smtp_host']}:{info['smtp_port']} (STARTTLS, CA {info['ca_path']})")
            runs = run_demo(server)
            print("\nWhat the dev server received:\n")
            print(format_table(table_rows(runs)))
            print(f"\nInbox: {info['inbox_url']}", end="")
            if keep:
                print("  (Ctrl-C to stop the dev server)", flush=True)
                wait_for_interrupt(server)
            else:
                print("  (stopped with the demo; `make demo KEEP=1` keeps it for browsing)")
            code = server.stop()
            if code not in (0, -signal.SIGINT):
                raise DemoError(f"the dev server exited with status {code}:\n"
                                f"{server.stderr_path.read_text()}")
    except DemoError as error:
        print(f"\ndemo FAILED: {error}", file=sys.stderr)
        return 1
    print("demo: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
