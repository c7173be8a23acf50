"""``make demo`` end to end: the demo script as a process, its table, its clean shutdown.

The script starts its own dev server (a child process), runs both example apps through the
three migration stages and prints what the dev server received; these tests keep it working.
"""

from __future__ import annotations

import importlib.util
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "example_projects" / "demo.py"


def parse_table(output: str) -> list[dict[str, str]]:
    """The rows of the demo's table, cut by the widths of its ``----`` rule."""
    lines = output.splitlines()
    rule_at = next(i for i, line in enumerate(lines) if re.fullmatch(r"-+( +-+)+", line))
    spans = [match.span() for match in re.finditer(r"-+", lines[rule_at])]

    def cells(line: str) -> list[str]:
        bounds = [(start, spans[i + 1][0] if i + 1 < len(spans) else None)
                  for i, (start, _) in enumerate(spans)]
        return [line[start:end].strip() for start, end in bounds]

    header = cells(lines[rule_at - 1])
    rows = []
    for line in lines[rule_at + 1:]:
        if not line.strip():
            break
        rows.append(dict(zip(header, cells(line), strict=True)))
    return rows


def port_is_closed(url: str) -> bool:
    host, port = re.fullmatch(r"http://([\d.]+):(\d+)/?", url).groups()  # type: ignore[union-attr]
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def test_demo_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO)], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = parse_table(result.stdout)
    assert {row["app"] for row in rows} == {"django_site", "flask_app"}
    assert {row["stage"] for row in rows} == {"smtp", "split", "api"}
    assert {row["door"] for row in rows} == {"smtp", "api"}
    for stage, doors in (("smtp", {"smtp"}), ("split", {"smtp", "api"}), ("api", {"api"})):
        for app in ("django_site", "flask_app"):
            taken = {row["door"] for row in rows if (row["stage"], row["app"]) == (stage, app)}
            assert taken == doors, (stage, app)
    api_ids = [row["request id"] for row in rows if row["door"] == "api"]
    assert all(re.fullmatch(r"\d{20}", rid) for rid in api_ids)
    assert len(set(api_ids)) == len(api_ids)
    assert all(row["request id"] == "-" for row in rows if row["door"] == "smtp")
    subjects = {row["subject"] for row in rows}
    assert {"Welcome to Acme Shop", "Receipt for order 2001", "[Django] Low stock: kettle",
            "Your order 1042 is confirmed", "Acme news: spring teas"} <= subjects
    inbox = re.search(r"^Inbox: (http://\S+)", result.stdout, re.M)
    assert inbox is not None
    assert port_is_closed(inbox.group(1))  # the dev server is gone
    assert "lttr_" + "0" * 64 not in result.stdout + result.stderr


def test_keep_serves_the_inbox_until_ctrl_c() -> None:
    """``make demo KEEP=1``: the inbox stays up with every message, Ctrl-C stops it cleanly."""
    process = subprocess.Popen(
        [sys.executable, str(DEMO), "--keep"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        inbox = None
        for line in process.stdout:
            found = re.match(r"Inbox: (http://\S+)", line)
            if found:
                inbox = found.group(1)
                break
        assert inbox is not None, process.communicate(timeout=60)
        page = requests.get(inbox, timeout=10).text
        assert "Receipt for order 2001" in page and "Acme news: spring teas" in page
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "demo: OK" in out
    assert port_is_closed(inbox)


# -- the failure path, in process (the dev server is still a real child process) ----------------


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The demo script as a module (registered while the test runs: its dataclass needs it)."""
    spec = importlib.util.spec_from_file_location("lettr_demo_script", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_a_failing_example_fails_the_demo_and_stops_the_dev_server(
    demo: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = demo.Example("broken_app", ROOT, ("-c", "raise SystemExit('no mail today')"), 1)
    monkeypatch.setattr(demo, "EXAMPLES", (broken,))
    assert demo.main([]) == 1
    out, err = capsys.readouterr()
    assert "demo FAILED: broken_app (smtp) failed with exit status 1" in err
    assert "no mail today" in err
    api_url = re.search(r"API (http://\S+),", out)
    assert api_url is not None
    assert port_is_closed(api_url.group(1))


def test_a_missing_message_fails_the_demo(
    demo: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = demo.Example("quiet_app", ROOT, ("-c", "print('sent nothing')"), 1)
    monkeypatch.setattr(demo, "EXAMPLES", (quiet,))
    assert demo.main([]) == 1
    assert "quiet_app (smtp): the dev server received 0 messages, expected 1" in (
        capsys.readouterr().err
    )


def test_stage_checks(demo: Any) -> None:
    example = demo.Example("app", ROOT, (), 2)
    smtp = {"door": "smtp", "request_id": None}
    api = {"door": "api", "request_id": "1" * 20}
    demo.check_stage(example, "split", [smtp, api])
    demo.check_stage(example, "api", [api, api])
    with pytest.raises(demo.DemoError, match=r"through \['api', 'smtp'\], expected \['api'\]"):
        demo.check_stage(example, "api", [smtp, api])
    with pytest.raises(demo.DemoError, match="expected \\['api', 'smtp'\\]"):
        demo.check_stage(example, "split", [smtp, smtp])
    with pytest.raises(demo.DemoError, match="no request id"):
        demo.check_stage(example, "api", [api, {"door": "api", "request_id": None}])


def test_the_callers_mail_settings_never_reach_the_examples(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real key or SMTP server in the shell must not be used by the demo."""
    monkeypatch.setenv("LETTR_API_KEY", "lttr_test_from_the_shell")
    monkeypatch.setenv("LETTR_API_URL", "https://app.lettr.com/api")
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.com")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")
    info = {"api_url": "http://127.0.0.1:1", "smtp_host": "127.0.0.1", "smtp_port": 2,
            "ca_path": "/tmp/ca.pem"}
    smtp_stage = demo.example_environ("smtp", info)
    assert "LETTR_API_KEY" not in smtp_stage
    assert smtp_stage["LETTR_API_URL"] == "http://127.0.0.1:1"
    assert smtp_stage["EMAIL_HOST"] == smtp_stage["MAIL_SERVER"] == "127.0.0.1"
    assert demo.example_environ("api", info)["LETTR_API_KEY"] == demo.DEMO_KEY


def test_an_http_proxy_in_the_shell_is_bypassed(
    demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.delenv("no_proxy", raising=False)
    env = demo.example_environ("api", {"api_url": "http://127.0.0.1:1", "smtp_host": "127.0.0.1",
                                       "smtp_port": 2, "ca_path": "/tmp/ca.pem"})
    assert env["NO_PROXY"] == "intranet.example,127.0.0.1,localhost"
    assert env["no_proxy"] == "127.0.0.1,localhost"
