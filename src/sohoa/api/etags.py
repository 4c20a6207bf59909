"""ETag and If-Match on a document's record: GET answers the version of the stored manifest as its ETag, and
a change (PATCH, confirm, revoke) sent with `If-Match` is applied only if the record is still at that
version (412 otherwise, nothing written), then answers the new ETag. Without If-Match a change is still
never lost: it is applied to the record as stored when written (storage.manifests.update_manifest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Response

from sohoa.archive.documents import document_version
from sohoa.records.models import Document


def if_match_versions(
    if_match: Annotated[
        str | None,
        Header(
            max_length=2000,
            description="the ETag of the record as the client read it; the change is refused with 412 "
            "if the record changed since",
        ),
    ] = None,
) -> frozenset[str] | None:
    """The versions an If-Match header names; None when absent or `*` (the record exists, or 404 anyway).
    Weak tags (W/"…") never match: If-Match compares strongly (RFC 9110 13.1.1)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = (part.strip() for part in if_match.split(","))
    return frozenset(tag.strip('"') for tag in tags if tag and not tag.startswith("W/"))


IfMatch = Annotated[frozenset[str] | None, Depends(if_match_versions)]


def with_etag(response: Response, document: Document) -> Document:
    """Send the version of the stored record the answer shows as its ETag."""
    version = document_version(document)
    if version:
        response.headers["ETag"] = f'"{version}"'
    return document
