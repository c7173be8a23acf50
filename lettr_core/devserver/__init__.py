"""A local stand-in for Lettr: the HTTP API and the SMTP relay on loopback, with an inbox.

``lettr devserver`` runs it from the command line; :class:`DevServer` runs it from Python
(tests, demos, benchmarks); :mod:`lettr_core.devserver.pytest_plugin` has pytest fixtures. Its
dependencies (aiosmtpd, trustme) come with the ``devserver`` extra: ``pip install
'lettr-mail[devserver]'``. Nothing else in ``lettr_core`` imports this package, and this package
imports them only when :class:`DevServer` is first used, so ``lettr devserver --help`` and a
clear "install the extra" message work without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import DevServer, is_loopback
    from .store import MemoryStore, SqliteStore

__all__ = ["DevServer", "MemoryStore", "SqliteStore", "is_loopback"]


def __getattr__(name: str) -> Any:
    if name in ("DevServer", "is_loopback"):
        from . import server

        return getattr(server, name)
    if name in ("MemoryStore", "SqliteStore"):
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
