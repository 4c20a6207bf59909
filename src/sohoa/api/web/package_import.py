"""The page where archive staff (and admins) import a dossier package received from another agency: a
file input and a button. The page's script sends the file as the body of `POST /api/v1/packages`, the one
import the API and `sohoa import` use (streamed, under the upload limit, every check before anything is
stored), and shows its report: the dossier, the documents, or that nothing new was stored; a refusal shows
the error's own message, as the other staff forms do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sohoa.api.web.render import backends_of, lang_of, page, signed_in
from sohoa.records.access import Role

router = APIRouter()

PATH = "/packages/import"


@router.get(PATH, response_class=HTMLResponse)
def import_package_page(request: Request) -> HTMLResponse:
    # The roles of POST /api/v1/packages (api.auth): a page others could open would only end in a refusal.
    signed_in(request, Role.STAFF, Role.ADMIN)
    limit = f"{backends_of(request).settings.max_upload_bytes / 2**20:.1f}".removesuffix(".0")
    return page(
        request,
        "import_package.html",
        limit_mb=limit if lang_of(request) == "en" else limit.replace(".", ","),
    )
