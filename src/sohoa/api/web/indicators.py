"""The indicators page, "Chỉ số số hóa", for officers (their own agency) and administrators (any agency or
all): the Decision 766 figures of a period month by month, the digitization rate and the reuse rate with
the counts they come from, and a form to choose the period and the agency."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from sohoa.api.web.render import backends_of, lang_of, page, signed_in
from sohoa.archive.indicators import digitization_metrics, period
from sohoa.errors import BadInput
from sohoa.records.access import Role

router = APIRouter()


def percent(rate: float, lang: str) -> str:
    """66.7% in English, 66,7% in Vietnamese (a decimal comma)."""
    shown = f"{rate * 100:.1f}%"
    return shown if lang == "en" else shown.replace(".", ",")


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(
    request: Request,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    agency: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    who = signed_in(request, Role.OFFICER, Role.ADMIN)
    chosen = who.agency if who.role is Role.OFFICER else agency.strip() or None
    figures, error = None, None
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
        start, end = period(start, end)
        figures = digitization_metrics(backends_of(request).index, start, end, chosen)
    except ValueError:
        error = ("Ngày phải có dạng YYYY-MM-DD", "a day is written YYYY-MM-DD")
    except BadInput as exc:
        error = (exc.vi, exc.en)
    lang = lang_of(request)
    return page(
        request,
        "indicators.html",
        status=400 if error else 200,
        figures=figures,
        error=(error[1] if lang == "en" else error[0]) if error else None,
        form={
            "from": date_from or (figures.date_from.isoformat() if figures else ""),
            "to": date_to or (figures.date_to.isoformat() if figures else ""),
            "agency": chosen or "",
        },
        fixed_agency=who.role is Role.OFFICER,
        pct=lambda rate: percent(rate, lang),
    )
