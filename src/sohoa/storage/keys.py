"""The object-key layout: the one place that knows where each record lives in the store.

Codes people issue or receive (dossier codes from any one-stop software, result codes such as
``QĐ.001203012345``) may hold any character; `code_segment` turns one into a safe key segment. Plain ASCII
codes keep their spelling, so keys written before the escaping existed still name the same records.
"""

from __future__ import annotations

import string

from sohoa.storage.base import InvalidKey, check_key

_PLAIN = frozenset(string.ascii_letters + string.digits + "_-")
_MAX_SEGMENT_BYTES = 240  # a file name on the filesystem store holds 255 bytes


def code_segment(code: str) -> str:
    """`code` as one key segment: letters, digits, "_" and "-" as they are, a "." between them too; any other
    character (Vietnamese letters, "/", a leading or doubled ".", "~") as "~" and its UTF-8 bytes in hex.
    Reversible and one-to-one, so two different codes never share a key."""
    out: list[str] = []
    for i, char in enumerate(code):
        plain = char in _PLAIN and (i > 0 or char.isalnum())
        dot = char == "." and 0 < i < len(code) - 1 and code[i - 1] != "." and code[i + 1] != "."
        out.append(char if plain or dot else "".join(f"~{b:02X}" for b in char.encode()))
    segment = "".join(out)
    if not segment or len(segment.encode()) > _MAX_SEGMENT_BYTES:
        raise InvalidKey(code[:40], "code too long or empty for a key")
    return segment


def code_of_segment(segment: str) -> str:
    """The code a segment made by `code_segment` stands for."""
    raw = bytearray()
    i = 0
    while i < len(segment):
        if segment[i] == "~":
            raw += bytes.fromhex(segment[i + 1 : i + 3])
            i += 3
        else:
            raw += segment[i].encode()
            i += 1
    return raw.decode()


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
    return check_key(f"dossiers/{code_segment(code)}/manifest.json")


def dossier_link(code: str, doc_id: str) -> str:
    return check_key(f"dossiers/{code_segment(code)}/links/{doc_id}.json")


def dossier_links_prefix(code: str) -> str:
    return check_key(f"dossiers/{code_segment(code)}/links") + "/"


def dossier_grant(code: str, agency: str) -> str:
    """The agency that imported the dossier holds it (records.packages.DossierGrant): one per agency."""
    return check_key(f"dossiers/{code_segment(code)}/held-by/{code_segment(agency)}.json")


def dossier_grants_prefix(code: str) -> str:
    return check_key(f"dossiers/{code_segment(code)}/held-by") + "/"


def grant_of_key(key: str) -> tuple[str, str] | None:
    """`dossiers/{code}/held-by/{agency}.json` → (code, agency); other keys → None."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "dossiers" and parts[2] == "held-by" and parts[3].endswith(".json"):
        return code_of_segment(parts[1]), code_of_segment(parts[3].removesuffix(".json"))
    return None


def dossier_code_of_manifest(key: str) -> str | None:
    """`dossiers/{code}/manifest.json` → code; other keys → None."""
    parts = key.split("/")
    if len(parts) == 3 and parts[0] == "dossiers" and parts[2] == "manifest.json":
        return code_of_segment(parts[1])
    return None


def dossiers_starting_with(code_prefix: str) -> str:
    """The key prefix of the dossiers whose codes start with `code_prefix` (one agency's day)."""
    return DOSSIERS_PREFIX + code_segment(code_prefix)


def reuse_marker(doc_id: str, dossier_code: str) -> str:
    """One per (document, dossier): makes a reuse idempotent, and their count is the reuse count."""
    return check_key(f"documents/{doc_id}/reused-by/{code_segment(dossier_code)}.json")


def reuse_markers_prefix(doc_id: str) -> str:
    return check_key(f"documents/{doc_id}/reused-by") + "/"


def dossier_code_of_marker(key: str) -> str:
    """`documents/{id}/reused-by/{code}.json` → code."""
    return code_of_segment(key.rsplit("/", 1)[-1].removesuffix(".json"))


def reuse_event(day: str, event_id: str) -> str:
    """`day` as YYYY-MM-DD: events are listed by day for the indicators."""
    y, m, d = day.split("-")
    return check_key(f"events/reuse/{y}/{m}/{d}/{event_id}.json")


def result_code_claim(code: str) -> str:
    return check_key(f"result-codes/{code_segment(code)}.json")


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


def job_manifest(job_id: str) -> str:
    """A job: one intake's work, written before it starts (records.jobs)."""
    return check_key(f"jobs/{job_id}/job.json")


def open_job_marker(job_id: str) -> str:
    """Present while a job is unfinished: what a restarted process looks through, not every job."""
    return check_key(f"open-jobs/{job_id}")


JOBS_PREFIX = "jobs/"
OPEN_JOBS_PREFIX = "open-jobs/"


def user(username: str) -> str:
    return check_key(f"users/{username}.json")


def credential(credential_id: str) -> str:
    return check_key(f"credentials/{credential_id}.json")


def audit_event(day: str, event_id: str) -> str:
    """`day` as YYYY-MM-DD, the event's day in UTC: the trail is listed by day."""
    y, m, d = day.split("-")
    return check_key(f"audit/{y}/{m}/{d}/{event_id}.json")


def package_import(package_sha256: str) -> str:
    """The record of an imported dossier package, keyed by its signed tag manifest's sha256."""
    return check_key(f"imports/{package_sha256}.json")


IMPORTS_PREFIX = "imports/"
USERS_PREFIX = "users/"
CREDENTIALS_PREFIX = "credentials/"
AUDIT_PREFIX = "audit/"


WORK_PREFIX = "work/"


def work_run(run: str) -> str:
    """The prefix of one run's files in transit between a sender and remote workers (sources uploaded for
    them, pages they read), removed when the run ends; MinIO expires what a crashed run left
    (`storage.minio`)."""
    return check_key(f"{WORK_PREFIX}{run}") + "/"


def work_file(work: str, name: str) -> str:
    return check_key(f"{work}{name}")


SUBSCRIPTIONS_PREFIX = "subscriptions/"
OUTBOX_PREFIX = "outbox/"


def subscription(subscription_id: str) -> str:
    """A subscription of the one-stop software to events (records.subscriptions)."""
    return check_key(f"{SUBSCRIPTIONS_PREFIX}{subscription_id}.json")


def outbox_event(stamp: str, event_id: str) -> str:
    """An event stored before any send, kept until every subscription it goes to has it; `stamp` (UTC,
    YYYYmmddTHHMMSSffffffZ) first, so the outbox lists oldest first."""
    return check_key(f"{OUTBOX_PREFIX}{stamp}-{event_id}.json")


def deliveries_prefix(subscription_id: str) -> str:
    return check_key(f"deliveries/{subscription_id}") + "/"


def delivery_attempts_prefix(subscription_id: str, event_id: str) -> str:
    return check_key(f"deliveries/{subscription_id}/{event_id}") + "/"


def delivery_attempt(subscription_id: str, event_id: str, attempt: int) -> str:
    """Created if absent by the process that makes attempt `attempt`: of two servers, one makes it."""
    return check_key(f"deliveries/{subscription_id}/{event_id}/{attempt:04d}.json")
