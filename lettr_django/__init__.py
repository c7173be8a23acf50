"""lettr_django: a Django email backend that sends through Lettr (API or SMTP).

Switch an application by settings alone::

    EMAIL_BACKEND = "lettr_django.EmailBackend"
    LETTR = {"API_KEY": "lttr_..."}   # or LETTR_API_KEY in the environment

Importing this package is light: it reads no Django setting. :class:`EmailBackend` and
:class:`LettrEmailMessage` are loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import EmailBackend
    from .message import LettrEmailMessage, LettrEmailMultiAlternatives

__all__ = ["EmailBackend", "LettrEmailMessage", "LettrEmailMultiAlternatives"]

_LAZY = {
    "EmailBackend": "backend",
    "LettrEmailMessage": "message",
    "LettrEmailMultiAlternatives": "message",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'lettr_django' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value
