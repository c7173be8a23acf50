"""``LettrEmailMessage``: an ``EmailMultiAlternatives`` that declares Lettr's extras.

The extras work as plain attributes on *any* Django ``EmailMessage`` (that is how code that
cannot change its message class uses them); this class only declares them with types and
takes them as keyword arguments::

    LettrEmailMessage(to=["a@example.com"], template_id="welcome",
                      merge_global_data={"name": "Ada"}, tags=["onboarding"]).send()
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.mail import EmailMultiAlternatives

#: the extras, in the order of DESIGN.md
EXTRA_NAMES = (
    "template_id",
    "template_version",
    "project_id",
    "merge_global_data",
    "metadata",
    "tags",
    "tag",
    "track_opens",
    "track_clicks",
    "transactional",
    "inline_css",
    "send_at",
    "amp_html",
    "idempotency_key",
    "lettr_transport",
    "esp_extra",
)


class LettrEmailMessage(EmailMultiAlternatives):
    """A Django message with Lettr's extras as typed attributes and keyword arguments.

    After sending, ``lettr_result`` holds the :class:`lettr_core.SendResult` (``None`` until
    then, or when the send failed; ``lettr_error`` then holds the error).
    """

    #: Lettr template slug (django-anymail: ``template_id``)
    template_id: str | None = None
    #: template version; the active version when unset
    template_version: int | None = None
    #: Lettr project of the template
    project_id: int | None = None
    #: substitution data for the template (django-anymail: ``merge_global_data``)
    merge_global_data: dict[str, Any] | None = None
    #: metadata carried to webhooks and events (string values on the wire)
    metadata: dict[str, Any] | None = None
    #: at most one tag, as in django-anymail
    tags: list[str] | None = None
    #: the tag (alternative to ``tags``)
    tag: str | None = None
    #: open tracking on/off; the account default when None
    track_opens: bool | None = None
    #: click tracking on/off; the account default when None
    track_clicks: bool | None = None
    #: mark as transactional (sent even to unsubscribed addresses)
    transactional: bool | None = None
    #: inline the HTML's CSS
    inline_css: bool | None = None
    #: schedule the message (5 minutes to 3 days ahead); naive times are in Django's zone
    send_at: datetime | date | float | None = None
    #: the AMP body (also settable as a ``text/x-amp-html`` alternative)
    amp_html: str | None = None
    #: the Idempotency-Key of this send (generated when None)
    idempotency_key: str | None = None
    #: force the door: ``"api"`` or ``"smtp"``
    lettr_transport: str | None = None
    #: raw SendEmailRequest fields, deep-merged into the API body last
    esp_extra: dict[str, Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        extras = {name: kwargs.pop(name) for name in EXTRA_NAMES if name in kwargs}
        super().__init__(*args, **kwargs)
        for name, value in extras.items():
            setattr(self, name, value)
        self.lettr_result: Any = None
        self.lettr_error: Any = None


#: the same class under the name of the Django class it extends
LettrEmailMultiAlternatives = LettrEmailMessage
