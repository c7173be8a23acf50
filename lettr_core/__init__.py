"""lettr_core: framework-free Lettr mail sending over the HTTP API and the SMTP relay.

The public surface is small: build an :class:`Email`, hand it to a :class:`Mailer` built from a
:class:`LettrConfig`, get a :class:`SendResult` back or a named error from
:mod:`lettr_core.errors`.
"""

from .addresses import Address, parse_address
from .api import ApiTransport
from .config import LettrConfig
from .errors import (
    AuthenticationError,
    ConfigurationError,
    LettrError,
    RateLimited,
    ServerError,
    TransportError,
    UnsupportedFeature,
    ValidationError,
)
from .mailer import Mailer
from .message import Attachment, Email, SendResult
from .smtp import SmtpTransport
from .version import __version__

__all__ = [
    "Address",
    "ApiTransport",
    "Attachment",
    "AuthenticationError",
    "ConfigurationError",
    "Email",
    "LettrConfig",
    "LettrError",
    "Mailer",
    "RateLimited",
    "SendResult",
    "ServerError",
    "SmtpTransport",
    "TransportError",
    "UnsupportedFeature",
    "ValidationError",
    "__version__",
    "parse_address",
]
