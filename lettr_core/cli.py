"""The ``lettr`` command: a thin dispatcher to the subcommands' own modules.

Each subcommand lives in its own module with a ``main(argv) -> int`` and is imported only
when called, so ``lettr audit`` does not load the dev server's dependencies and vice versa.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from .version import __version__

#: subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "devserver": ("lettr_core.devserver.cli", "run a local Lettr stand-in (HTTP API + SMTP relay)"),
    "audit": ("lettr_core.audit.cli", "report SMTP usage and migration steps in a codebase"),
    "check": ("lettr_core.tools", "check the API key against Lettr (GET /auth/check)"),
    "send-test": ("lettr_core.tools", "send a test message and print its request id"),
}


def _usage() -> str:
    lines = [f"usage: lettr <command> [options]   (lettr-mail {__version__})", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lettr`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if args[0] == "--version":
        print(__version__)
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"lettr: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    if name in ("check", "send-test"):
        return int(module.main([name, *rest]))
    return int(module.main(rest))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
