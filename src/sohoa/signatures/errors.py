"""The one table from pyHanko's (and pikepdf's) errors to sohoa's, for signing and checking PDFs.

A PDF that cannot be read is CorruptFile; a timestamp server that does not answer is ServiceUnavailable;
anything else that stops the work (a key that refuses, a file that cannot be read or written) is BadInput
saying what could not be done, with pyHanko's reason. A signature that is made but does not check out is
not an error: verify gives it an INVALID verdict."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pikepdf
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimestampRequestError

from sohoa.errors import BadInput, CorruptFile, ServiceUnavailable, SohoaError

SIGNING = ("Không ký được tài liệu", "cannot sign the document")
CHECKING = ("Không kiểm tra được chữ ký của tài liệu", "cannot check the signatures of the document")


@contextmanager
def translated(doing: tuple[str, str]) -> Iterator[None]:
    """pyHanko's errors in the block as sohoa's; `doing` (SIGNING, CHECKING) says what failed."""
    try:
        yield
    except SohoaError:
        raise
    except (PdfError, pikepdf.PdfError) as exc:
        raise CorruptFile("Tệp PDF bị hỏng, không đọc được", "the PDF is damaged and cannot be read") from exc
    except TimestampRequestError as exc:
        raise ServiceUnavailable(
            "Máy chủ cấp dấu thời gian không trả lời", f"the timestamp server did not answer: {exc}"
        ) from exc
    except (SigningError, ValueError, OSError) as exc:
        raise BadInput(doing[0], f"{doing[1]}: {exc}") from exc
