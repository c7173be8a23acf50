"""``lettr devserver``: run the dev server until Ctrl-C or SIGTERM.

It prints where everything is (API base URL, inbox, SMTP relay, CA file) — or, with ``--json``,
one JSON line with the same, for scripts — and shuts both listeners down cleanly on exit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ..limits import DEFAULT_RATE_LIMIT

DEFAULT_HTTP_PORT = 8787
DEFAULT_SMTP_PORT = 2587
DEFAULT_CA_FILE = ".devserver/ca.pem"


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a probability between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``lettr devserver``."""
    parser = argparse.ArgumentParser(
        prog="lettr devserver",
        description="A local stand-in for Lettr: its HTTP API and SMTP relay on loopback, "
        "with an inbox page. Nothing leaves this machine.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else exposes captured mail)")
    add("--port", type=int, default=DEFAULT_HTTP_PORT,
        help=f"HTTP port for the API and inbox (default {DEFAULT_HTTP_PORT}; 0 = any free port)")
    add("--smtp-port", type=int, default=DEFAULT_SMTP_PORT,
        help=f"SMTP relay port (default {DEFAULT_SMTP_PORT}; 0 = any free port)")
    add("--api-key", default=os.environ.get("LETTR_DEVSERVER_API_KEY") or None,
        help="the only key accepted (default: $LETTR_DEVSERVER_API_KEY, else any key starting "
        "with lttr_); the variable keeps the key out of the process list")
    add("--store", metavar="FILE", default=None,
        help="keep messages in this SQLite file (default: in memory)")
    add("--ca-file", default=DEFAULT_CA_FILE,
        help=f"where to write the relay's CA certificate (default {DEFAULT_CA_FILE})")
    add("--no-tls", action="store_true", help="no STARTTLS on the relay (plaintext AUTH)")
    add("--implicit-tls", action="store_true",
        help="TLS from the first byte on the relay (like port 465) instead of STARTTLS")
    add("--latency", metavar="MS", type=float, default=0.0,
        help="delay every API answer by MS milliseconds")
    add("--rate-limit", metavar="N", type=int, default=None,
        help="refuse more than N API requests per second with 429 (default: no limit, so "
        f"tests run fast; Lettr's own default is {DEFAULT_RATE_LIMIT:g})")
    add("--retry-after", metavar="SECONDS", type=int, default=None,
        help="Retry-After value on 429 (default: seconds until the window resets)")
    add("--fail-rate", metavar="P", type=_rate, default=0.0,
        help="answer this share of API requests with a 5xx error")
    add("--fail-status", type=int, default=500, choices=(500, 502, 503, 504),
        help="the status of injected failures (default 500)")
    add("--reset-rate", metavar="P", type=_rate, default=0.0,
        help="drop this share of connections before answering (nothing stored)")
    add("--lost-reply-rate", metavar="P", type=_rate, default=0.0,
        help="store the message, then drop the connection before answering")
    add("--smtp-fail-rate", metavar="P", type=_rate, default=0.0,
        help="refuse this share of SMTP messages with 451 (nothing stored)")
    add("--seed", type=int, default=None, help="seed for reproducible fault injection")
    add("--json", action="store_true", help="print the addresses as one JSON line")
    add("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dev server until interrupted; 0 on a clean stop."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("lettr_core.devserver").setLevel(
        logging.WARNING if args.quiet else logging.INFO
    )
    try:
        from .server import DevServer, is_loopback
    except ImportError as exc:
        print(f"lettr devserver: {exc}", file=sys.stderr)
        return 1

    if not is_loopback(args.host):
        print(
            f"WARNING: listening on {args.host}, not loopback: anyone who can reach it can "
            "read every captured message and use the relay.",
            file=sys.stderr,
        )
    if args.ca_file and not args.no_tls:
        os.makedirs(os.path.dirname(os.path.abspath(args.ca_file)), exist_ok=True)
    server = DevServer(
        host=args.host,
        http_port=args.port,
        smtp_port=args.smtp_port,
        api_key=args.api_key,
        latency_ms=args.latency,
        rate_limit=args.rate_limit,
        fail_rate=args.fail_rate,
        reset_rate=args.reset_rate,
        lost_reply_rate=args.lost_reply_rate,
        seed=args.seed,
        store=args.store,
        tls=not args.no_tls,
        implicit_tls=args.implicit_tls,
        smtp_fail_rate=args.smtp_fail_rate,
        retry_after=args.retry_after,
        fail_status=args.fail_status,
        ca_path=None if args.no_tls else args.ca_file,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with server:
        info = {
            "api_url": server.api_url,
            "inbox_url": server.inbox_url,
            "smtp_host": server.smtp_host,
            "smtp_port": server.smtp_port,
            "ca_path": server.ca_path,
            "smtp_security": "none" if args.no_tls
            else ("ssl" if args.implicit_tls else "starttls"),
        }
        if args.json:
            print(json.dumps(info), flush=True)
        else:
            key = (
                "any key starting with lttr_" if args.api_key is None
                else "the key given (lttr_****)"
            )
            print(
                f"lettr dev server\n"
                f"  API base URL : {server.api_url}   (LETTR_API_URL)\n"
                f"  inbox        : {server.inbox_url}\n"
                f"  SMTP relay   : {server.smtp_address}   ({info['smtp_security']}, "
                f"user lettr, password = API key)\n"
                f"  CA file      : {server.ca_path or '-'}\n"
                f"  accepts      : {key}\n"
                f"  store        : {args.store or 'memory'}\n"
                "Ctrl-C to stop.",
                flush=True,
            )
        stop.wait()
    print("lettr dev server stopped.", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
