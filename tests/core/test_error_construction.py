"""Every error class can be built the way the HTTP error mapper builds it."""

from __future__ import annotations

import pickle
import smtplib

import pytest

from lettr_core import errors
from lettr_core.http_errors import error_from_response


@pytest.mark.parametrize(
    ("status", "code", "cls", "smtp_twin"),
    [
        (401, "unauthorized", errors.AuthenticationError, smtplib.SMTPAuthenticationError),
        (422, "validation_error", errors.ValidationError, smtplib.SMTPException),
    ],
)
def test_mapped_errors_build_and_keep_their_smtp_twin(
    status: int, code: str, cls: type, smtp_twin: type
) -> None:
    body = b'{"message": "nope", "error_code": "%s"}' % code.encode()
    error = error_from_response(status, body, {}, "")
    assert type(error) is cls
    assert isinstance(error, smtp_twin)
    assert error.status == status
    assert "nope" in str(error)
    assert type(pickle.loads(pickle.dumps(error))) is cls


def test_authentication_error_carries_an_smtp_code() -> None:
    error = errors.AuthenticationError("bad key", status=401)
    assert error.smtp_code == 535
    assert error.smtp_error == b"bad key"


def test_invalid_recipient_keeps_its_recipients() -> None:
    error = errors.InvalidRecipient("refused", recipients={"a@example.com": (550, b"no")})
    assert error.recipients == {"a@example.com": (550, b"no")}
    assert isinstance(error, smtplib.SMTPRecipientsRefused)
