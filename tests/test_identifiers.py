"""Validators of the personal ID, the legacy ID card, the enterprise tax code and the number and symbol."""

from datetime import date

import pytest

from sohoa.records import (
    IdKind,
    InvalidIdentifier,
    parse_number_symbol,
    validate_owner_id,
    validate_personal_id,
    validate_tax_code,
)
from sohoa.records.identifiers import mst_check_digit

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("value", "year", "female"),
    [
        ("001089012345", 1989, False),  # Hà Nội, 1900s male
        ("079195000001", 1995, True),  # TP.HCM, 1900s female
        ("036203004567", 2003, False),  # 2000s male
        ("001 305 123456", 2005, True),  # spaces as people type them
        ("096224000000", 2024, False),  # born this decade
        ("096024000000", 1924, False),
    ],
)
def test_personal_id_valid(value: str, year: int, female: bool) -> None:
    owner = validate_personal_id(value, today=TODAY)
    assert owner.kind is IdKind.PERSONAL
    assert owner.birth_year == year
    assert owner.female is female
    assert len(owner.value) == 12


@pytest.mark.parametrize(
    "value",
    [
        "00108901234",  # 11 digits
        "0010890123456",  # 13 digits
        "00108901234a",
        "000089012345",  # province 000
        "097089012345",  # no province 097
        "001827012345",  # 8 → the 2300s
        "001230012345",  # born 2030: after today
        "",
    ],
)
def test_personal_id_invalid(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        validate_personal_id(value, today=TODAY)


def test_legacy_cmnd_is_accepted_as_legacy() -> None:
    owner = validate_personal_id("025123456")
    assert owner.kind is IdKind.LEGACY_PERSONAL
    assert owner.birth_year is None


def test_error_message_is_bilingual() -> None:
    with pytest.raises(InvalidIdentifier, match=r"12 chữ số.*12 digits"):
        validate_personal_id("123")


@pytest.mark.parametrize("value", ["0100109106", "0100109106-001", "0100109106-999"])
def test_tax_code_valid(value: str) -> None:
    assert validate_tax_code(value).kind is IdKind.TAX


def test_tax_code_check_digit_is_computed() -> None:
    # 0100109106: Σ wᵢdᵢ = 31·0+29·1+23·0+19·0+17·1+13·0+7·9+5·1+3·0 = 114; 114 mod 11 = 4; 10 − 4 = 6.
    assert mst_check_digit("010010910") == 6
    for digit in "012345789":
        with pytest.raises(InvalidIdentifier, match="check digit"):
            validate_tax_code(f"010010910{digit}")


@pytest.mark.parametrize(
    "value", ["010010910", "01001091066", "0100109106-000", "0100109106-01", "0100109106-1234"]
)
def test_tax_code_invalid_shape(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        validate_tax_code(value)


def test_owner_id_tells_person_from_organization() -> None:
    assert validate_owner_id("0100109106").kind is IdKind.TAX
    assert validate_owner_id("001089012345").kind is IdKind.PERSONAL
    assert validate_owner_id("025123456").kind is IdKind.LEGACY_PERSONAL
    with pytest.raises(InvalidIdentifier):
        validate_owner_id("0100109107")


@pytest.mark.parametrize(
    ("raw", "number", "doc_type", "issuer"),
    [
        ("123/QĐ-UBND", "123", "QĐ", "UBND"),
        ("05/2023/TT-BTC", "05", "2023/TT", "BTC"),
        ("12/GP-SXD", "12", "GP", "SXD"),
        ("45/QyĐ-HĐND", "45", "QyĐ", "HĐND"),
        ("7/NQ-HĐND-VP", "7", "NQ", "HĐND-VP"),
        ("123 / QĐ - UBND", "123", "QĐ", "UBND"),
        ("88/CV", "88", "CV", ""),
    ],
)
def test_number_symbol_valid(raw: str, number: str, doc_type: str, issuer: str) -> None:
    parsed = parse_number_symbol(raw)
    assert (parsed.number, parsed.doc_type, parsed.issuer) == (number, doc_type, issuer)


def test_number_symbol_is_nfc() -> None:
    decomposed = "123/Q\u0044\u0335-UBND"  # not a real Đ: must be refused, not silently accepted
    with pytest.raises(InvalidIdentifier):
        parse_number_symbol(decomposed)
    assert str(parse_number_symbol("123/QĐ-UBND")) == "123/QĐ-UBND"


@pytest.mark.parametrize(
    "raw", ["QĐ-UBND", "123-QĐ-UBND", "abc/QĐ-UBND", "0/QĐ-UBND", "123/qđ-ubnd", "123/", ""]
)
def test_number_symbol_invalid(raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_number_symbol(raw)
