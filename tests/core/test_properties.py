"""Properties over broad inputs (valid, nearly valid and hostile).

1. Whatever :class:`Email` and the payload builder accept gives request bodies that Lettr's
   request schema accepts *and* that the dev server's independent validator accepts; whatever
   they refuse is refused with a named :class:`LettrError` (never a ``KeyError``/``TypeError``).
2. Address parsing never accepts a string or a ``(name, address)`` pair holding CR or LF,
   wherever the line break is (display name, quoted name, local part, domain), and what it
   accepts never holds one.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from lettr_core import Attachment, Email
from lettr_core.addresses import Address, parse_address, parse_address_list
from lettr_core.devserver.validation import validate_send_request
from lettr_core.errors import HeaderInjection, InvalidAddress, LettrError
from lettr_core.payload import build_payload, encode_body, split_recipients
from tests.schema import assert_valid_request

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)

# -- strategies -----------------------------------------------------------------------------------

_any_text = st.text(max_size=40)
_plain = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
_ascii_word = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,15}[a-z0-9])?", fullmatch=True).filter(
    lambda word: ".." not in word)
_tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_unicode_label = st.text(alphabet="äöüßéçñ漢字пример", min_size=1, max_size=6)
_domain = st.one_of(
    st.lists(_label, min_size=2, max_size=3).map(".".join),
    st.tuples(_unicode_label, _label).map(".".join),
    st.sampled_from(["localhost", "[127.0.0.1]", "example", "-bad-.com", "a..b.com"]),
)
_local = st.one_of(_ascii_word, st.text(alphabet="jörgé漢", min_size=1, max_size=6),
                   _any_text)
_bare = st.builds(lambda local, domain: f"{local}@{domain}", _local, _domain)
_name = st.one_of(st.just(""), _plain, _any_text,
                  st.sampled_from(['Doe, John', 'Say "hi"', "Zoë Ünïcode", "A\\B", "(c)"]))
_address = st.one_of(
    _bare,
    st.builds(lambda n, a: f"{n} <{a}>", _name, _bare),
    st.builds(lambda n, a: (n, a), _name, _bare),
    _any_text,
)
_addresses = st.lists(_address, max_size=4)
_good_address = st.builds(lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
                          _ascii_word, st.lists(_label, min_size=1, max_size=2), _tld)

_scalar = st.one_of(st.text(max_size=30), st.integers(), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False), st.none())
_value = st.one_of(_scalar, st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
_key = st.one_of(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.text(max_size=45))
_header_name = st.one_of(st.from_regex(r"X-[A-Za-z-]{1,12}", fullmatch=True),
                         st.sampled_from(["Subject", "Reply-To", "List-Unsubscribe",
                                          "X-Lettr-Tag", "X-Lettr-Metadata"]),
                         st.text(max_size=12))
#: (filename, content, mimetype, content_id) tuples: the Email builds (or refuses) them
_attachment = st.tuples(
    st.one_of(st.none(), st.just(""), st.from_regex(r"[a-z]{1,8}\.(txt|pdf|png)", fullmatch=True),
              st.text(max_size=20)),
    st.one_of(st.binary(max_size=64), st.text(max_size=20), st.integers()),
    st.one_of(st.none(), st.sampled_from(["text/plain", "image/png"]), _any_text),
    st.one_of(st.none(), st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


_good_with_name = st.one_of(
    _good_address,
    st.builds(lambda n, a: (n, a), _plain, _good_address),
    st.builds(lambda local, u, d: f"{local}@{u}.{d}", _ascii_word, _unicode_label, _tld),
)
_scalar_value = st.one_of(st.text(max_size=30), st.integers(), st.booleans(),
                          st.floats(allow_nan=False, allow_infinity=False))

#: a message that should be accepted: every field drawn from values Lettr takes
_valid_fields = st.fixed_dictionaries(
    {
        "from_email": _good_with_name,
        "to": st.lists(_good_with_name, min_size=1, max_size=60),
        "subject": _plain.filter(bool),
        "text": st.text(min_size=1, max_size=60),
    },
    optional={
        "cc": st.lists(_good_with_name, max_size=4),
        "bcc": st.lists(_good_address, max_size=3),
        "reply_to": st.lists(_good_with_name, max_size=1),
        "html": _maybe(_any_text),
        "amp_html": _maybe(_any_text),
        "attachments": st.lists(st.builds(
            Attachment, filename=st.from_regex(r"[a-z]{1,8}\.(txt|pdf|png)", fullmatch=True),
            content=st.one_of(st.binary(max_size=64), st.text(max_size=20))), max_size=3),
        "headers": st.dictionaries(st.from_regex(r"X-[A-Za-z-]{1,12}", fullmatch=True),
                                   _plain, max_size=10),
        "metadata": st.dictionaries(st.from_regex(r"[a-z_]{1,40}", fullmatch=True),
                                    _scalar_value, max_size=50),
        "tag": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
        "template_slug": st.from_regex(r"[a-z-]{1,20}", fullmatch=True),
        "template_version": st.integers(min_value=1, max_value=9),
        "project_id": st.integers(min_value=1, max_value=9),
        "substitution_data": st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                                             _scalar_value, max_size=5),
        "options": st.dictionaries(
            st.sampled_from(["open_tracking", "click_tracking", "transactional", "inline_css",
                             "perform_substitutions"]), st.booleans(), max_size=3),
        "send_at": st.timedeltas(min_value=timedelta(minutes=6),
                                 max_value=timedelta(days=2, hours=23)).map(lambda d: NOW + d),
        "idempotency_key": _plain,
    },
)

#: one field replaced by a broad value (often invalid, sometimes hostile)
_hostile_field = st.one_of(
    st.fixed_dictionaries({"from_email": _address}),
    st.fixed_dictionaries({"to": _addresses}),
    st.fixed_dictionaries({"cc": _addresses}),
    st.fixed_dictionaries({"reply_to": st.lists(_address, max_size=2)}),
    st.fixed_dictionaries({"subject": st.one_of(_any_text, st.text(min_size=990,
                                                                   max_size=1000))}),
    st.fixed_dictionaries({"text": st.none(), "html": _maybe(st.text(max_size=3))}),
    st.fixed_dictionaries({"attachments": st.lists(_attachment, max_size=3)}),
    st.fixed_dictionaries({"headers": st.dictionaries(_header_name, st.one_of(_plain, _any_text),
                                                      max_size=12)}),
    st.fixed_dictionaries({"metadata": st.dictionaries(_key, _value, max_size=52)}),
    st.fixed_dictionaries({"tag": st.one_of(st.from_regex(r"[A-Za-z0-9_-]{60,70}",
                                                          fullmatch=True), _any_text)}),
    st.fixed_dictionaries({"template_slug": st.just("welcome"),
                           "template_version": st.integers(min_value=-2, max_value=1)}),
    st.fixed_dictionaries({"substitution_data": st.dictionaries(_key, _value, max_size=5)}),
    st.fixed_dictionaries({"options": st.dictionaries(
        st.sampled_from(["open_tracking", "track_everything"]),
        st.one_of(st.booleans(), st.none(), st.just("yes")), max_size=2)}),
    st.fixed_dictionaries({"send_at": st.one_of(
        st.timedeltas(min_value=timedelta(days=-1), max_value=timedelta(days=4)).map(
            lambda delta: NOW + delta),
        st.just(datetime(2026, 12, 4, 12, 0)))}),  # naive
    st.fixed_dictionaries({"idempotency_key": _any_text}),
)

_email_fields = st.builds(
    lambda valid, hostile: {**valid, **hostile},
    _valid_fields,
    st.one_of(st.just({}), _hostile_field),
)

# -- 1. accepted => valid on the wire -------------------------------------------------------


@settings(max_examples=int(os.environ.get('PROPERTY_EXAMPLES', '300')), deadline=None)
@given(_email_fields)
def test_whatever_is_accepted_is_valid_for_the_schema_and_the_dev_server(
    fields: dict[str, Any],
) -> None:
    try:
        email = Email(**fields)
        body = build_payload(email, now=NOW)
        chunks = list(split_recipients(body))
    except LettrError as refused:
        event(f"refused: {type(refused).__name__}")
        assert str(refused)
        return
    event("accepted")
    scheduled = "scheduled_at" in body
    for chunk in chunks:
        assert_valid_request(chunk)
        wire = json.loads(encode_body(chunk))
        assert wire == chunk
        errors = validate_send_request(wire, scheduled=scheduled, now=NOW.timestamp())
        assert not errors, f"the dev server would answer 422: {errors}"
        assert len(chunk["to"]) + len(chunk.get("cc", [])) + len(chunk.get("bcc", [])) <= 50
    sent = [addr for chunk in chunks for kind in ("to", "cc", "bcc")
            for addr in chunk.get(kind, [])]
    assert sorted(sent) == sorted(a.email for a in email.recipients)


# -- 2. addresses never carry CR or LF -------------------------------------------------------

_break = st.sampled_from(["\r", "\n", "\r\n", "\n\t", "\r\n "])


@settings(max_examples=int(os.environ.get('PROPERTY_EXAMPLES', '300')), deadline=None)
@given(st.one_of(st.builds(lambda n, a: f"{n} <{a}>", _name, _bare),
                 st.builds(lambda n, a: f'"{n}" <{a}>', _name, _bare), _bare, _any_text),
       _break, st.integers(min_value=0))
def test_a_line_break_anywhere_in_an_address_string_is_refused(
    text: str, brk: str, position: int
) -> None:
    at = position % (len(text) + 1)
    hostile = text[:at] + brk + text[at:]
    try:
        parse_address(hostile, "to")
    except HeaderInjection:
        event("HeaderInjection")
    except InvalidAddress:
        event("InvalidAddress")
    else:
        raise AssertionError(f"accepted {hostile!r}")
    try:
        parse_address_list(["ok@example.com", hostile], "to")
    except (HeaderInjection, InvalidAddress):
        pass
    else:
        raise AssertionError(f"a list accepted {hostile!r}")


@settings(max_examples=int(os.environ.get('PROPERTY_EXAMPLES', '200')), deadline=None)
@given(_name, _bare, _break, st.integers(min_value=0), st.booleans())
def test_a_line_break_in_either_half_of_a_pair_is_refused(
    name: str, addr: str, brk: str, position: int, in_name: bool
) -> None:
    target = name if in_name else addr
    at = position % (len(target) + 1)
    broken = target[:at] + brk + target[at:]
    pair = (broken, addr) if in_name else (name, broken)
    try:
        parse_address(pair, "from")
    except (HeaderInjection, InvalidAddress):
        return
    raise AssertionError(f"accepted {pair!r}")


@settings(max_examples=int(os.environ.get('PROPERTY_EXAMPLES', '300')), deadline=None)
@given(_address)
def test_what_is_accepted_has_no_line_break_and_round_trips(value: Any) -> None:
    try:
        address = parse_address(value, "to")
    except (HeaderInjection, InvalidAddress):
        event("refused")
        return
    event("accepted")
    for part in address:
        assert "\r" not in part and "\n" not in part
    assert address.domain.isascii()  # IDNA-encoded
    assert parse_address(str(address), "to") == address
    assert isinstance(address, Address)


# -- 3. the SMTP door: whatever is accepted gives a well-formed message ---------------------------


@settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")), deadline=None)
@given(_email_fields)
def test_whatever_the_smtp_door_accepts_parses_back_without_injected_headers(
    fields: dict[str, Any],
) -> None:
    from email import message_from_string, policy

    from lettr_core.mime import build_message, envelope_recipients, serialize

    fields = {k: v for k, v in fields.items()
              if k not in ("template_slug", "template_version", "project_id",
                           "substitution_data", "options", "send_at")}
    # a custom Subject/To/... header replaces the generated one on the SMTP door (by design)
    fields["headers"] = {k: v for k, v in (fields.get("headers") or {}).items()
                         if not str(k).lower().startswith("x-lettr-template")
                         and str(k).lower() not in ("subject", "from", "to", "cc", "reply-to")}
    try:
        email = Email(**fields)
        raw = serialize(build_message(email))
    except LettrError as refused:
        event(f"refused: {type(refused).__name__}")
        return
    event("accepted")
    parsed = message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)
    for name in ("From", "To", "Subject", "Cc", "Reply-To", "Bcc", "Date", "Message-ID"):
        assert len(parsed.get_all(name) or []) <= 1, f"{name} appears twice"
    assert parsed.get_all("Bcc") is None
    assert all(line.endswith(b"\r") or not line for line in raw.split(b"\n")[:-1])
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    for header, addresses in (("To", email.to), ("Cc", email.cc), ("Reply-To", email.reply_to),
                              ("From", [email.from_email])):
        if addresses:
            found = [(a.display_name, a.addr_spec) for a in parsed[header].addresses]
            assert [spec for _, spec in found] == [a.email for a in addresses], header
            # whitespace aside: Python's parser keeps the space between two encoded words
            assert ["".join(n.split()) for n, _ in found] == \
                ["".join(a.name.split()) for a in addresses], header
    if email.subject:
        assert " ".join(str(parsed["Subject"]).split()) == " ".join(email.subject.split())
    expected = list(dict.fromkeys(a.email.lower() for a in email.recipients))
    assert [a.lower() for a in envelope_recipients(email)] == expected
