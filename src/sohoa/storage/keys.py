"""The object-key layout: the one place that knows where each record lives in the store."""

from __future__ import annotations

from sohoa.storage.base import check_key


def document_manifest(doc_id: str) -> str:
    return check_key(f"documents/{doc_id}/manifest.json")


def document_master(doc_id: str, sha256: str, extension: str) -> str:
    return check_key(f"documents/{doc_id}/master/{sha256}.{extension}")


def page_image(doc_id: str, number: int, extension: str = "jpg") -> str:
    return check_key(f"documents/{doc_id}/pages/{number}.{extension}")


def page_words(doc_id: str, number: int) -> str:
    return check_key(f"documents/{doc_id}/pages/{number}.json")


def searchable_pdf(doc_id: str) -> str:
    return check_key(f"documents/{doc_id}/searchable.pdf")


def signed_pdf(doc_id: str, number: int) -> str:
    """The copy as signed the `number`-th time (each signing adds a file; none is overwritten)."""
    return check_key(f"documents/{doc_id}/signed-{number}.pdf")


def by_sha256(sha256: str) -> str:
    return check_key(f"by-sha256/{sha256}")


DOCUMENTS_PREFIX = "documents/"


def doc_id_of_manifest(key: str) -> str | None:
    """`documents/{id}/manifest.json` → id; other keys → None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "documents" and parts[2] == "manifest.json":
        return parts[1]
    return None


def dossier_manifest(code: str) -> str:
    return check_key(f"dossiers/{code}/manifest.json")


def dossier_link(code: str, doc_id: str) -> str:
    return check_key(f"dossiers/{code}/links/{doc_id}.json")


def dossier_links_prefix(code: str) -> str:
    return check_key(f"dossiers/{code}/links") + "/"


def reuse_marker(doc_id: str, dossier_code: str) -> str:
    """One per (document, dossier): makes a reuse idempotent, and their count is the reuse count."""
    return check_key(f"documents/{doc_id}/reused-by/{dossier_code}.json")


def reuse_event(day: str, event_id: str) -> str:
    """`day` as YYYY-MM-DD: events are listed by day for the indicators."""
    y, m, d = day.split("-")
    return check_key(f"events/reuse/{y}/{m}/{d}/{event_id}.json")


def result_code_claim(code: str) -> str:
    return check_key(f"result-codes/{code}.json")


DOSSIERS_PREFIX = "dossiers/"
REUSE_EVENTS_PREFIX = "events/reuse/"


def batch_manifest(batch_id: str) -> str:
    return check_key(f"batches/{batch_id}/batch.json")


def batch_source(batch_id: str, number: int, extension: str) -> str:
    return check_key(f"batches/{batch_id}/source/{number}.{extension}")


def batch_pages_prefix(batch_id: str) -> str:
    return check_key(f"batches/{batch_id}/pages") + "/"


def batch_page_image(batch_id: str, number: int) -> str:
    return check_key(f"batches/{batch_id}/pages/{number}.jpg")


def batch_page_text(batch_id: str, number: int) -> str:
    return check_key(f"batches/{batch_id}/pages/{number}.text.pdf")


def batch_page_result(batch_id: str, number: int) -> str:
    """Written last and once: a page with a result is finished."""
    return check_key(f"batches/{batch_id}/pages/{number}.json")


def batch_fix(batch_id: str, fix: int, suffix: str) -> str:
    """A page read again at review (fix number `fix`): `jpg`, `text.pdf`, then `json` last."""
    return check_key(f"batches/{batch_id}/fixes/{fix}.{suffix}")


BATCHES_PREFIX = "batches/"


def user(username: str) -> str:
    return check_key(f"users/{username}.json")


def credential(credential_id: str) -> str:
    return check_key(f"credentials/{credential_id}.json")


def audit_event(day: str, event_id: str) -> str:
    """`day` as YYYY-MM-DD, the event's day in UTC: the trail is listed by day."""
    y, m, d = day.split("-")
    return check_key(f"audit/{y}/{m}/{d}/{event_id}.json")


USERS_PREFIX = "users/"
CREDENTIALS_PREFIX = "credentials/"
AUDIT_PREFIX = "audit/"
