"""``lettr check`` and ``lettr send-test``: the two questions asked when setting up.

Both read the configuration from the environment (``LETTR_API_KEY`` and friends), so they
check exactly what an application configured the same way would use.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from .config import LettrConfig
from .errors import ConfigurationError, LettrError
from .mailer import Mailer
from .message import Email


def check(config: LettrConfig) -> str:
    """Call ``GET /auth/check``; return a one-line report (raises on failure)."""
    with Mailer(config) as mailer:
        data = mailer.check_auth()
    return f"API key is valid for team {data.get('team_id')} ({config.api_url})"


def send_test(config: LettrConfig, *, sender: str, to: str, transport: str | None) -> str:
    """Send a short test message through ``transport`` (or the configured door)."""
    email = Email(
        from_email=sender,
        to=[to],
        subject="lettr-mail test message",
        text="This test message was sent by `lettr send-test`.",
        transport=transport,  # type: ignore[arg-type]
        tag="lettr-send-test",
    )
    with Mailer(config) as mailer:
        result = mailer.send(email)
    return (
        f"sent through {result.transport}: request_id={result.request_id} "
        f"accepted={result.accepted} rejected={result.rejected}"
    )


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """``lettr check`` / ``lettr send-test --from A --to B [--transport api|smtp]``."""
    parser = argparse.ArgumentParser(prog="lettr")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check the API key (GET /auth/check)")
    send = sub.add_parser("send-test", help="send a test message")
    send.add_argument("--from", dest="sender", required=True, help="sender address")
    send.add_argument("--to", required=True, help="recipient address")
    send.add_argument("--transport", choices=("api", "smtp"), default=None,
                      help="force a door (default: what the settings choose)")
    args = parser.parse_args(list(argv))
    try:
        config = LettrConfig.from_mapping({}, environ=environ)
        if args.command == "check":
            print(check(config))
        else:
            print(send_test(config, sender=args.sender, to=args.to, transport=args.transport))
    except ConfigurationError as error:
        print(f"lettr: configuration error: {error}", file=sys.stderr)
        return 2
    except LettrError as error:
        print(f"lettr: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0
