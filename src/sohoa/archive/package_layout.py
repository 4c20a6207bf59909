"""The names inside a dossier package (a BagIt bag, zipped): the one place export and import agree on.

A document's files sit under `data/` at the same paths as their object keys (`documents/{id}/…`), so a
record's keys name its files in the bag and an import writes each file back under the key its record names
(after checking that the key is the one `storage.keys` gives for that document, never a path a package
chose). See docs/package.md for the tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from sohoa.records.models import Document
from sohoa.storage import keys

PAYLOAD = "data"
DOSSIER = f"{PAYLOAD}/dossier.json"  # records.dossiers.DossierView
PROVENANCE = f"{PAYLOAD}/provenance.json"  # records.packages.Provenance
RECORD_NAME = "document.json"  # records.models.Document, beside the document's files
TAG_MANIFEST = "tagmanifest-sha256.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
# The exporting installation's detached CMS signature over the tag manifest, which holds the sha256 of the
# payload manifest, which holds the sha256 of every file: one signature seals the whole bag.
SEAL = f"{TAG_MANIFEST}.p7s"
CHECKSUM = "sha256"
MEDIA_TYPE = "application/zip"

_SIGNED = re.compile(r"signed-(\d+)\.pdf")


def in_bag(key: str) -> str:
    """The path inside the bag of a stored object."""
    return f"{PAYLOAD}/{key}"


def record_path(doc_id: str) -> str:
    return f"{PAYLOAD}/{keys.DOCUMENTS_PREFIX}{doc_id}/{RECORD_NAME}"


def signed_count(document: Document) -> int:
    """How many signed copies the document has (each signing added `signed-N.pdf`, the latest is named)."""
    if document.signed_pdf_key is None:
        return 0
    found = _SIGNED.fullmatch(document.signed_pdf_key.rsplit("/", 1)[-1])
    return int(found.group(1)) if found else 0


def extension(document: Document) -> str:
    """The master's extension, as its key says it."""
    return document.master_key.rsplit(".", 1)[-1]


def document_keys(document: Document) -> list[str]:
    """Every object a document's package entry holds, as `storage.keys` names them for its id: the master,
    each page's image and words, the searchable PDF and every signed copy."""
    doc_id = document.id
    named = [keys.document_master(doc_id, document.master_sha256, extension(document))]
    for page in document.pages:
        named += [keys.page_image(doc_id, page.number), keys.page_words(doc_id, page.number)]
    if document.searchable_pdf_key:
        named.append(keys.searchable_pdf(doc_id))
    named += [keys.signed_pdf(doc_id, n) for n in range(1, signed_count(document) + 1)]
    return named


def bag_root(code: str) -> str:
    """The folder the zip holds the bag in."""
    return f"sohoa-package-{keys.code_segment(code)}"


def file_in(bag: Path, path: str) -> Path:
    return bag.joinpath(*path.split("/"))
