"""Lettr's documented limits, in one place.

Every number the library checks before sending lives here, so a limit that Lettr changes is
changed once. Sources: the OpenAPI spec (`SendEmailRequest`) and Lettr's documentation.
"""

from __future__ import annotations

#: recipients (to + cc + bcc together) in one ``POST /emails`` request
MAX_RECIPIENTS_PER_REQUEST = 50
#: characters in one address
MAX_ADDRESS_LENGTH = 255
#: characters in a display name (``from_name``, ``reply_to_name``)
MAX_NAME_LENGTH = 255
#: characters in a subject
MAX_SUBJECT_LENGTH = 998
#: custom headers per message
MAX_CUSTOM_HEADERS = 10
#: characters in one header value
MAX_HEADER_VALUE_LENGTH = 998
#: characters in the tag
MAX_TAG_LENGTH = 64
#: metadata entries, key length and value length
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
#: characters in an attachment's name and MIME type
MAX_ATTACHMENT_NAME_LENGTH = 255
MAX_ATTACHMENT_TYPE_LENGTH = 255
#: total size of all attachments of one message *after* base64 encoding (5 MB)
MAX_ATTACHMENTS_BASE64_BYTES = 5 * 1024 * 1024
#: characters in a template slug
MAX_TEMPLATE_SLUG_LENGTH = 255
#: scheduling window for ``POST /emails/scheduled``, in seconds from now
MIN_SCHEDULE_AHEAD_SECONDS = 5 * 60
MAX_SCHEDULE_AHEAD_SECONDS = 3 * 24 * 60 * 60
#: Lettr's default rate limit per team, requests per second
DEFAULT_RATE_LIMIT = 3.0

#: headers that Lettr manages itself and that are never sent in ``headers`` (lower case)
SYSTEM_MANAGED_HEADERS = frozenset(
    name.lower()
    for name in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "DKIM-Signature",
        "Return-Path",
        "Received",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "X-MSYS-API",
    )
)

#: keys of ``options`` in ``SendEmailRequest``
OPTION_NAMES = frozenset(
    ("open_tracking", "click_tracking", "transactional", "inline_css", "perform_substitutions")
)
