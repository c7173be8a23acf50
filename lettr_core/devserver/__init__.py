"""A local stand-in for Lettr: the HTTP API and the SMTP relay on loopback, with an inbox.

``lettr devserver`` runs it from the command line; :class:`DevServer` runs it from Python
(tests, demos, benchmarks). Its dependencies (aiosmtpd, trustme) come with the ``devserver``
extra: ``pip install 'lettr-mail[devserver]'``. Nothing else in ``lettr_core`` imports this
package.
"""

from .server import DevServer, is_loopback
from .store import MemoryStore, SqliteStore

__all__ = ["DevServer", "MemoryStore", "SqliteStore", "is_loopback"]
