"""The domain of sohoa, free of I/O: documents, pages, words, dossiers and the validators of codes and IDs."""

from sohoa.records.identifiers import (
    IdKind,
    InvalidIdentifier,
    NumberSymbol,
    OwnerId,
    parse_number_symbol,
    validate_owner_id,
    validate_personal_id,
    validate_tax_code,
)
from sohoa.records.models import (
    Document,
    DocumentKind,
    DossierRef,
    Page,
    PageAnalysis,
    ValidityStatus,
    Word,
)

__all__ = [
    "Document",
    "DocumentKind",
    "DossierRef",
    "IdKind",
    "InvalidIdentifier",
    "NumberSymbol",
    "OwnerId",
    "Page",
    "PageAnalysis",
    "ValidityStatus",
    "Word",
    "parse_number_symbol",
    "validate_owner_id",
    "validate_personal_id",
    "validate_tax_code",
]
