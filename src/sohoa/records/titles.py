"""What to call a paper on screen: what it is (its type's Vietnamese name and its number and symbol, as a
person at the counter would say "Quyết định 123/QĐ-UBND"), not the name of the file it arrived in."""

from __future__ import annotations

from sohoa.records.doctypes import doc_type


def paper_title(
    type_slug: str | None, number_symbol: str | None, title: str | None, fallback: str | None = None
) -> str:
    """The type's name with the number and symbol; else the title given at ingest or by an officer; else
    the type's name or the number alone; the fallback (the file name, the id) only when nothing else is
    known."""
    known = doc_type(type_slug)
    if known and number_symbol:
        return f"{known.name} {number_symbol}"
    for candidate in (title, known.name if known else None, number_symbol, type_slug, fallback):
        if candidate:
            return candidate
    return ""
