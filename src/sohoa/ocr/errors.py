"""Errors of the page pipeline."""

from __future__ import annotations

from sohoa.errors import SohoaError


class OcrError(SohoaError):
    """Tesseract failed on a page, or is missing."""

    code = "ocr_failed"
