"""The shared behaviours Django checks for its own backends, against the API door."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from email.mime.text import MIMEText
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils.translation import gettext_lazy

import lettr_django
from lettr_core import AuthenticationError, LettrError, SendResult
from lettr_core.errors import InvalidAddress, ServerError
from lettr_django.backend import EmailBackend

from .conftest import MAILERS_API, FakeApi, lettr_error


def backend(**kwargs: Any) -> EmailBackend:
    return EmailBackend(**kwargs)


def test_importable_from_package_and_module() -> None:
    assert lettr_django.EmailBackend is EmailBackend


def test_send_mail_goes_through_the_api(api: FakeApi) -> None:
    sent = mail.send_mail("Subject", "Content", "from@example.com", ["to@example.com"])
    assert sent == 1
    body = api.body
    assert body["from"] == "from@example.com"
    assert body["to"] == ["to@example.com"]
    assert body["subject"] == "Subject"
    assert body["text"] == "Content"
    assert "html" not in body
    assert api.headers[0]["Authorization"].startswith("Bearer lttr_")


def test_send_result_is_stored_on_the_message(api: FakeApi) -> None:
    message = EmailMessage("Subject", "Content", "from@example.com", ["to@example.com"])
    assert backend().send_messages([message]) == 1
    result = message.lettr_result
    assert isinstance(result, SendResult)
    assert result.request_id == "req-1"
    assert result.transport == "api"


def test_send_unicode(api: FakeApi) -> None:
    message = EmailMessage(
        "Chère maman", "Je t'aime très fort", "Jöhn <from@example.com>", ["to@example.com"]
    )
    assert backend().send_messages([message]) == 1
    body = api.body
    assert body["subject"] == "Chère maman"
    assert body["text"] == "Je t'aime très fort"
    assert body["from_name"] == "Jöhn"


def test_send_long_lines(api: FakeApi) -> None:
    """Long lines travel intact (the API has no 998-octet line limit to fold around)."""
    line = "Comment ça va? " * 100
    message = EmailMessage("Subject", line, "from@example.com", ["to@example.com"])
    backend().send_messages([message])
    assert api.body["text"] == line


def test_send_many_from_a_generator_consumed_once(api: FakeApi) -> None:
    consumed: list[int] = []

    def messages() -> Iterator[EmailMessage]:
        for n in range(3):
            consumed.append(n)
            yield EmailMessage(
                f"Subject {n}", "Content", "from@example.com", [f"to{n}@example.com"]
            )

    assert backend().send_messages(messages()) == 3
    assert consumed == [0, 1, 2]
    assert sorted(body["subject"] for body in api.bodies) == ["Subject 0", "Subject 1", "Subject 2"]


def test_identical_newsletters_coalesce_into_one_request(api: FakeApi) -> None:
    messages = [
        EmailMessage("News", "Same content", "from@example.com", [f"reader{n}@example.com"])
        for n in range(5)
    ]
    assert backend().send_messages(messages) == 5
    assert len(api.bodies) == 1
    assert api.body["to"] == [f"reader{n}@example.com" for n in range(5)]
    assert all(m.lettr_result.request_id == "req-1" for m in messages)
    assert all(m.lettr_result.accepted == 1 for m in messages)


def test_empty_input_and_messages_without_recipients(api: FakeApi) -> None:
    assert backend().send_messages([]) == 0
    no_recipients = EmailMessage("Subject", "Content", "from@example.com", [])
    assert backend().send_messages([no_recipients]) == 0
    assert api.bodies == []


def test_mail_admins_and_managers_use_the_subject_prefix(api: FakeApi) -> None:
    mail.mail_admins("Server down", "Content", html_message="<p>Content</p>")
    mail.mail_managers("Report", "Content")
    admins, managers = api.bodies
    assert admins["subject"] == "[Django] Server down"
    assert admins["to"] == ["admin@example.com"]
    assert admins["from"] == "server@example.com"
    assert admins["html"] == "<p>Content</p>"
    assert managers["subject"] == "[Django] Report"
    assert managers["to"] == ["manager@example.com"]


def test_lazy_addresses_and_subject_are_forced(api: FakeApi) -> None:
    message = EmailMessage(
        gettext_lazy("Subject"),
        gettext_lazy("Content"),
        gettext_lazy("from@example.com"),
        [gettext_lazy("to@example.com")],
        cc=[gettext_lazy("cc@example.com")],
        reply_to=[gettext_lazy("reply@example.com")],
    )
    backend().send_messages([message])
    body = api.body
    assert (body["from"], body["to"], body["cc"]) == (
        "from@example.com", ["to@example.com"], ["cc@example.com"]
    )
    assert body["reply_to"] == "reply@example.com"
    assert body["subject"] == "Subject"


def test_idn_domains_are_punycoded(api: FakeApi) -> None:
    message = EmailMessage(
        "Subject", "Content", "from@öäü.com", ["to@öäü.com"], cc=["cc@öäü.com"]
    )
    backend().send_messages([message])
    body = api.body
    assert body["from"] == "from@xn--4ca9at.com"
    assert body["to"] == ["to@xn--4ca9at.com"]
    assert body["cc"] == ["cc@xn--4ca9at.com"]


def test_close_twice_and_reuse_after_close(api: FakeApi) -> None:
    connection = backend()
    connection.close()
    connection.close()
    message = EmailMessage("Subject", "Content", "from@example.com", ["to@example.com"])
    assert connection.send_messages([message]) == 1
    connection.close()
    assert connection.send_messages([message]) == 1
    assert len(api.bodies) == 2


def test_open_reports_a_new_connection_once() -> None:
    connection = backend()
    assert connection.open() is True
    assert connection.open() is False
    connection.close()
    assert connection.open() is True
    connection.close()


def test_context_manager_opens_and_closes(api: FakeApi) -> None:
    closed: list[bool] = []
    with backend() as connection:
        assert connection._is_open
        original = connection.mailer.close
        connection.mailer.close = lambda: (closed.append(True), original())[1]  # type: ignore[method-assign]
        message = EmailMessage("Subject", "Content", "from@example.com", ["to@example.com"])
        assert connection.send_messages([message]) == 1
        assert closed == []  # an open connection stays open across sends
    assert closed == [True]
    assert not connection._is_open


def test_send_messages_is_thread_safe(api: FakeApi) -> None:
    connection = backend()
    counts: list[int] = []

    def send(n: int) -> None:
        messages = [
            EmailMessage(f"Thread {n} #{i}", "Content", "from@example.com", ["to@example.com"])
            for i in range(3)
        ]
        counts.append(connection.send_messages(messages))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == [3, 3, 3, 3]
    assert len({body["subject"] for body in api.bodies}) == 12


def test_html_body_and_alternatives(api: FakeApi) -> None:
    message = EmailMultiAlternatives("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.attach_alternative("<html amp4email></html>", "text/x-amp-html")
    backend().send_messages([message])
    body = api.body
    assert (body["text"], body["html"], body["amp_html"]) == (
        "Text", "<p>HTML</p>", "<html amp4email></html>"
    )


def test_content_subtype_html(api: FakeApi) -> None:
    message = EmailMessage("Subject", "<b>Hi</b>", "from@example.com", ["to@example.com"])
    message.content_subtype = "html"
    backend().send_messages([message])
    assert api.body["html"] == "<b>Hi</b>"
    assert "text" not in api.body


def test_unknown_alternative_type_is_unsupported(api: FakeApi) -> None:
    message = EmailMultiAlternatives("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attach_alternative("BEGIN:VCALENDAR", "text/calendar")
    with pytest.raises(LettrError, match="text/calendar"):
        backend().send_messages([message])
    assert api.bodies == []
    assert backend(ignore_unsupported_features=True).send_messages([message]) == 1


def test_partial_failure_sends_the_rest_then_raises_the_first_error(api: FakeApi) -> None:
    def answer(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body["subject"] == "bad":
            return 500, lettr_error(500, "server_error", "Something broke")
        return 200, {"message": "ok", "data": {"request_id": "ok-1", "accepted": 1,
                                               "rejected": 0}}

    api.answer = answer
    good1 = EmailMessage("good 1", "x", "from@example.com", ["a@example.com"])
    bad = EmailMessage("bad", "x", "from@example.com", ["b@example.com"])
    invalid = EmailMessage("invalid", "x", "from@example.com", ["not an address"])
    good2 = EmailMessage("good 2", "x", "from@example.com", ["c@example.com"])
    with pytest.raises(ServerError) as caught:
        backend().send_messages([good1, bad, invalid, good2])
    error = caught.value
    assert isinstance(error, smtplib.SMTPException)  # SMTP-era `except` clauses still match
    assert [m for m, _ in error.failures] == [bad, invalid]  # type: ignore[attr-defined]
    assert isinstance(error.failures[1][1], InvalidAddress)  # type: ignore[attr-defined]
    assert good1.lettr_result.request_id == "ok-1"
    assert good2.lettr_result.request_id == "ok-1"
    assert bad.lettr_result is None and bad.lettr_error is error
    assert {b["subject"] for b in api.bodies} == {"good 1", "bad", "good 2"}


def test_the_first_error_keeps_its_class(api: FakeApi) -> None:
    api.answer = lambda body: (401, lettr_error(401, "unauthorized", "Invalid API key"))
    message = EmailMessage("Subject", "x", "from@example.com", ["a@example.com"])
    with pytest.raises(AuthenticationError):
        backend().send_messages([message])
    with pytest.raises(smtplib.SMTPAuthenticationError):
        backend().send_messages([message])


def test_fail_silently_swallows_lettr_errors_and_counts_what_was_sent(api: FakeApi) -> None:
    api.answer = lambda body: (
        (500, lettr_error(500, "server_error", "down")) if body["subject"] == "bad"
        else (200, {"message": "ok", "data": {"request_id": "r", "accepted": 1, "rejected": 0}})
    )
    messages = [
        EmailMessage("bad", "x", "from@example.com", ["a@example.com"]),
        EmailMessage("good", "x", "from@example.com", ["b@example.com"]),
    ]
    assert backend(fail_silently=True).send_messages(messages) == 1
    assert isinstance(messages[0].lettr_error, ServerError)
    if not MAILERS_API:  # Django 6.1 deprecates send_mail(fail_silently=...)
        assert mail.send_mail("bad", "x", "from@example.com", ["a@example.com"],
                              fail_silently=True) == 0


def test_fail_silently_never_hides_configuration_errors() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="API_URL"):
        backend(fail_silently=True, api_url="ftp://nope")


def test_mimebase_and_mimepart_attachments_with_inline_image(api: FakeApi) -> None:
    from email.mime.image import MIMEImage

    png = b"\x89PNG\r\n\x1a\nfake"
    message = EmailMultiAlternatives("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attach_alternative('<img src="cid:logo">', "text/html")
    image = MIMEImage(png, "png")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline", filename="logo.png")
    message.attachments.append(image)  # .attach() warns about MIMEBase on Django 6.1
    text_part = MIMEText("plain attachment", "plain")
    text_part.add_header("Content-Disposition", "attachment", filename="notes.txt")
    message.attachments.append(text_part)
    message.attach("data.bin", b"\x00\x01", "application/octet-stream")
    message.attach("readme.txt", "héllo")
    backend().send_messages([message])
    attachments = api.body["attachments"]
    assert [(a["name"], a["type"]) for a in attachments] == [
        ("logo", "image/png"),
        ("notes.txt", "text/plain"),
        ("data.bin", "application/octet-stream"),
        ("readme.txt", "text/plain"),
    ]
    import base64

    assert base64.b64decode(attachments[0]["data"]) == png
    assert base64.b64decode(attachments[1]["data"]) == b"plain attachment"
    assert base64.b64decode(attachments[3]["data"]) == "héllo".encode()


def test_email_message_mimepart_attachment(api: FakeApi) -> None:
    from email.message import MIMEPart

    part = MIMEPart()
    part.set_content(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                     filename="report.pdf")
    message = EmailMessage("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attachments.append(part)
    backend().send_messages([message])
    (attachment,) = api.body["attachments"]
    assert (attachment["name"], attachment["type"]) == ("report.pdf", "application/pdf")


def test_attached_message_rfc822(api: FakeApi) -> None:
    inner = EmailMessage("Inner", "inner body", "from@example.com", ["to@example.com"])
    message = EmailMessage("Outer", "outer", "from@example.com", ["to@example.com"])
    message.attach(None, inner, "message/rfc822")
    backend().send_messages([message])
    (attachment,) = api.body["attachments"]
    assert attachment["type"] == "message/rfc822"
    assert attachment["name"] == "attachment-1.eml"
    import base64

    assert b"Subject: Inner" in base64.b64decode(attachment["data"])


def test_retries_through_the_backend_keep_one_idempotency_key(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lettr_core.timing

    waits: list[float] = []
    monkeypatch.setattr(lettr_core.timing, "sleep", waits.append)
    answers = iter([(503, lettr_error(503, "server_error", "busy"))])
    api.answer = lambda body: next(
        answers,
        (200, {"message": "ok", "data": {"request_id": "r9", "accepted": 1, "rejected": 0}}),
    )
    message = EmailMessage("Subject", "x", "from@example.com", ["a@example.com"])
    assert backend(max_retries=2).send_messages([message]) == 1
    assert message.lettr_result.request_id == "r9"
    assert len(api.bodies) == 2
    assert waits and max(waits) < 5  # the backoff went through the replaceable wait
    assert api.headers[0]["Idempotency-Key"] == api.headers[1]["Idempotency-Key"]


def test_send_mass_mail(api: FakeApi) -> None:
    datatuple = (
        ("Subject 1", "Body 1", "from@example.com", ["a@example.com"]),
        ("Subject 2", "Body 2", "from@example.com", ["b@example.com", "c@example.com"]),
    )
    assert mail.send_mass_mail(datatuple) == 2
    assert sorted(body["subject"] for body in api.bodies) == ["Subject 1", "Subject 2"]


def test_a_message_whose_every_recipient_was_rejected_is_not_counted(api: FakeApi) -> None:
    api.answer = lambda body: (
        200, {"message": "ok", "data": {"request_id": "r", "accepted": 0, "rejected": 1}}
    )
    message = EmailMessage("Subject", "x", "from@example.com", ["gone@example.com"])
    assert backend().send_messages([message]) == 0
    assert message.lettr_result.rejected == 1


def test_more_than_fifty_recipients_are_split_and_summed(api: FakeApi) -> None:
    to = [f"r{n}@example.com" for n in range(60)]
    message = EmailMessage("Subject", "x", "from@example.com", to)
    assert backend().send_messages([message]) == 1
    assert [len(body["to"]) for body in api.bodies] == [50, 10]
    assert message.lettr_result.accepted == 60
    assert message.lettr_result.request_ids == ["req-1", "req-2"]
