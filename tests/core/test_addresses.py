"""Address parsing: names, quoting, IDNA, and CR/LF refused everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lettr_core.addresses import Address, parse_address, parse_address_list
from lettr_core.errors import HeaderInjection, InvalidAddress


@pytest.mark.parametrize(
    ("raw", "name", "email"),
    [
        ("a@example.com", "", "a@example.com"),
        ("  a@example.com ", "", "a@example.com"),
        ("Ann <a@example.com>", "Ann", "a@example.com"),
        ('"Doe, John" <j@example.com>', "Doe, John", "j@example.com"),
        ('"Say \\"hi\\"" <j@example.com>', 'Say "hi"', "j@example.com"),
        ("Jöhn Dœ <j@example.com>", "Jöhn Dœ", "j@example.com"),
        ("a@bücher.example", "", "a@xn--bcher-kva.example"),
        ("Zoë <z@ÉXAMPLE.com>", "Zoë", "z@xn--xample-9ua.com"),
        (("Name, Inc.", "n@example.com"), "Name, Inc.", "n@example.com"),
        ("<a@example.com>", "", "a@example.com"),
        ("dev@localhost", "", "dev@localhost"),
    ],
)
def test_parses_names_and_addresses(raw: object, name: str, email: str) -> None:
    assert parse_address(raw) == Address(name, email)


@pytest.mark.parametrize(
    "raw",
    ["", "no-at-sign", "a b@example.com", "a@", "@example.com", "a@-bad-.com",
     "a@example", "a..b@example.com", "<a@example.com", "a@exa mple.com", 42],
)
def test_refuses_malformed(raw: object) -> None:
    with pytest.raises(InvalidAddress):
        parse_address(raw)


@pytest.mark.parametrize(
    "raw",
    ["a@example.com\r\nBcc: x@evil.com", "Ann\n <a@example.com>", "a@exa\rmple.com",
     ("Ann\r\nX: y", "a@example.com")],
)
def test_refuses_line_breaks(raw: object) -> None:
    with pytest.raises(HeaderInjection):
        parse_address(raw)


def test_formats_names_that_need_quoting() -> None:
    assert str(Address("Doe, John", "j@example.com")) == '"Doe, John" <j@example.com>'
    assert str(Address("Ann", "a@example.com")) == "Ann <a@example.com>"
    assert str(Address("", "a@example.com")) == "a@example.com"


def test_list_accepts_a_single_string_and_a_pair() -> None:
    assert parse_address_list("a@example.com", "to") == [Address("", "a@example.com")]
    assert parse_address_list(("Ann", "a@example.com"), "to") == [Address("Ann", "a@example.com")]
    assert len(parse_address_list(["a@example.com", "b@example.com"], "to")) == 2
    assert parse_address_list(None, "to") == []


def test_too_long_address_is_refused() -> None:
    with pytest.raises(InvalidAddress):
        parse_address("a" * 250 + "@example.com")


@given(st.text(max_size=40), st.sampled_from(["\r", "\n", "\r\n"]), st.text(max_size=40))
def test_never_accepts_cr_or_lf(before: str, brk: str, after: str) -> None:
    with pytest.raises((HeaderInjection, InvalidAddress)):
        parse_address(f"{before}{brk}{after}")


_local = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda s: ".." not in s
)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_name = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30
).filter(lambda s: s.strip() == s and s and "<" not in s and ">" not in s)


@given(_name, _local, st.lists(_label, min_size=2, max_size=3))
def test_round_trips_through_str(name: str, local: str, labels: list[str]) -> None:
    address = Address(name, f"{local}@{'.'.join(labels)}")
    assert parse_address(str(address)) == address
