"""The small things every record uses: Unicode NFC text, Vietnam's clock, the current UTC time."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator


def nfc(text: str) -> str:
    """Text is stored in Unicode NFC (domain rule): OCR and keyboards may give either form."""
    return unicodedata.normalize("NFC", text)


NfcStr = Annotated[str, AfterValidator(nfc)]


# Dates of receipt, revocation and reuse are days as the counter sees them.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The day at the counter (Vietnam), whatever the server's time zone."""
    return datetime.now(LOCAL_TZ).date()
