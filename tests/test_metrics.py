"""The Decision 766 indicators (ingest.indicators): digitization rate and reuse rate per agency and period,
month by month, counted from the index. The same set of dossiers on SQLite and Elasticsearch gives the
same exact figures; dossiers made through the real code (create, ingest, reuse) on both backend pairs give
them through the API too, and again after the index is rebuilt from storage; `sohoa metrics` prints them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import Pair
from people import AGENCY, OTHER_AGENCY, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.archive.documents import reindex
from sohoa.archive.dossiers import create_dossier, reuse_document
from sohoa.archive.indicators import DigitizationMetrics, digitization_metrics
from sohoa.errors import BadInput
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import LOCAL_TZ, DocumentKind
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.records import DocumentRecord, DossierRecord, RecordIndex, ReuseRecord
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore

SOHOA = str(Path(sys.executable).parent / "sohoa")
OWNER = "001203012345"
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 30)


def _dossier(code: str, received: date, *, agency: str = "H29", status: str = "received") -> DossierRecord:
    return DossierRecord(
        code=code, agency=agency, procedure_code="1.001", owner_id=OWNER, received_on=received, status=status
    )


def _doc(name: str, dossier: str | None, kind: str = "component") -> DocumentRecord:
    return DocumentRecord(
        doc_id=name * 24,
        owner_id=OWNER,
        kind=kind,
        agency="H29",
        created_at=datetime(2025, 3, 1, 9, tzinfo=UTC),
        dossier_code=dossier,
    )


def _reuse(rid: str, dossier: str, name: str) -> ReuseRecord:
    return ReuseRecord(id=rid, dossier_code=dossier, doc_id=name * 24, agency="H29", on=date(2025, 3, 15))


def _figures(m: DigitizationMetrics) -> dict[str, tuple[int, int, float, int, int, float]]:
    rows = {
        f.month: (f.dossiers_received, f.digitized, f.digitization_rate, f.reused, f.needed, f.reuse_rate)
        for f in m.months
    }
    rows["total"] = (
        m.dossiers_received,
        m.dossiers_digitized,
        m.digitization_rate,
        m.documents_reused,
        m.documents_needed,
        m.reuse_rate,
    )
    return rows


def test_rates_by_month_from_the_index(index: SearchIndex) -> None:
    """Every case of the definitions, on both index backends, with exact figures."""
    ix: RecordIndex = index  # type: ignore[assignment]
    ix.index_dossiers(
        [
            _dossier("H29-01", date(2025, 3, 3)),  # a scanned component only: digitized
            _dossier("H29-02", date(2025, 3, 5)),  # nothing linked: not digitized
            _dossier("H29-03", date(2025, 3, 10)),  # a reuse and a scanned component: digitized
            _dossier("H29-04", date(2025, 3, 12)),  # scanned and reused for itself: once, as reused
            _dossier("H29-05", date(2025, 4, 2), status="done"),  # decided, its result never scanned: no
            _dossier("H29-06", date(2025, 4, 8), status="done"),  # a reuse and its result scanned: yes
            _dossier("H29-07", date(2025, 4, 9)),  # only a result scanned, no component: no
            _dossier("X01-01", date(2025, 3, 4), agency="X01"),  # another agency's, digitized
            _dossier("H29-00", date(2025, 2, 20)),  # received before the period
        ]
    )
    ix.index_documents(
        [
            _doc("a", "H29-01"),
            _doc("b", "H29-03"),
            _doc("d", "H29-04"),
            _doc("c", "H29-05"),
            _doc("r", "H29-06", kind="result"),
            _doc("s", "H29-07", kind="result"),
            _doc("x", "X01-01"),
            _doc("o", "H29-00"),
            _doc("e", None),  # digitized for no dossier: counts nowhere
        ]
    )
    ix.index_reuses(
        [
            _reuse("r1", "H29-03", "a"),
            _reuse("r1b", "H29-03", "a"),  # the same reuse logged twice (a retry): one document
            _reuse("r2", "H29-04", "d"),
            _reuse("r3", "H29-06", "a"),
            _reuse("r4", "H29-00", "a"),
        ]
    )
    tallies = {t.code: (t.components, t.results, t.reused) for t in ix.dossier_tallies(MARCH, APRIL, "H29")}
    assert tallies == {
        "H29-01": (1, 0, 0),
        "H29-02": (0, 0, 0),
        "H29-03": (1, 0, 1),
        "H29-04": (0, 0, 1),
        "H29-05": (1, 0, 0),
        "H29-06": (0, 1, 1),
        "H29-07": (0, 1, 0),
    }
    h29 = digitization_metrics(index, MARCH, APRIL, "H29")
    assert _figures(h29) == {
        "2025-03": (4, 3, 0.75, 2, 4, 0.5),
        "2025-04": (3, 1, 0.3333, 1, 2, 0.5),
        "total": (7, 4, 0.5714, 3, 6, 0.5),
    }
    assert (h29.documents_digitized, h29.reuse_events) == (9, 5)  # activity by day, as before
    every = digitization_metrics(index, MARCH, APRIL)
    assert _figures(every)["2025-03"] == (5, 4, 0.8, 2, 5, 0.4)
    assert _figures(every)["total"] == (8, 5, 0.625, 3, 7, 0.4286)
    # A month with no dossier is listed, with rates of 0.
    wider = digitization_metrics(index, date(2025, 1, 1), APRIL, "X01")
    assert [f.month for f in wider.months] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert _figures(wider)["2025-01"] == (0, 0, 0.0, 0, 0, 0.0)
    assert _figures(wider)["total"] == (1, 1, 1.0, 0, 1, 0.0)


def test_a_period_backwards_or_too_long_is_refused(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    with pytest.raises(BadInput, match="before it starts"):
        digitization_metrics(index, APRIL, MARCH)
    with pytest.raises(BadInput, match="10 years"):
        digitization_metrics(index, date(2000, 1, 1), date(2010, 1, 1))
    assert len(digitization_metrics(index, date(2000, 1, 1), date(2009, 12, 31)).months) == 120


def _received(day: date, agency: str = AGENCY) -> NewDossier:
    return NewDossier(
        agency=agency,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=OWNER, name="Nguyễn Văn An"),
        received_at=datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ),
    )


def _scan(store: ObjectStore, index: SearchIndex, folder: Path, seed: int, dossier: str) -> str:
    path = folder / f"p{seed}.png"
    make_page(seed=seed, size="A5", lines=4).image.save(path, dpi=(300, 300))
    meta = IngestMeta(name=path.name, dossier_code=dossier, kind=DocumentKind.COMPONENT, by="staff")
    return ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document.id


def _counter(store: ObjectStore, index: SearchIndex, folder: Path) -> None:
    """At the counter: one dossier digitized with a scanned component, one left undigitized, one met by
    reusing the first one's paper, another agency's with a scanned component, one received before the
    period (with a component)."""
    first = create_dossier(store, index, _received(date(2025, 3, 3)), by="officer")
    paper = _scan(store, index, folder, 61, first.code)
    create_dossier(store, index, _received(date(2025, 3, 20)), by="officer")
    third = create_dossier(store, index, _received(date(2025, 4, 7)), by="officer")
    reuse_document(store, index, third.code, paper, by="officer")
    other = create_dossier(store, index, _received(date(2025, 3, 4), OTHER_AGENCY), by="officer2")
    _scan(store, index, folder, 62, other.code)
    before = create_dossier(store, index, _received(date(2025, 2, 27)), by="officer")
    _scan(store, index, folder, 63, before.code)


def test_dossiers_made_at_the_counter_give_the_rates_through_the_api_and_after_reindex(
    pair: Pair, tmp_path: Path
) -> None:
    _counter(pair.store, pair.index, tmp_path)
    mine = digitization_metrics(pair.index, MARCH, APRIL, AGENCY)
    expected = {
        "2025-03": (2, 1, 0.5, 0, 1, 0.0),
        "2025-04": (1, 1, 1.0, 1, 1, 1.0),
        "total": (3, 2, 0.6667, 1, 2, 0.5),
    }
    assert _figures(mine) == expected
    assert _figures(digitization_metrics(pair.index, MARCH, APRIL))["total"] == (4, 3, 0.75, 1, 3, 0.3333)

    settings = Settings(data_dir=tmp_path / "api")
    app = create_app(backends=Backends(settings, pair.store, pair.index, InlineExecutor()))
    people = make_people(pair.store)
    period = {"from": "2025-03-01", "to": "2025-04-30"}
    with TestClient(app) as client:
        # An officer sees their own agency's figures whatever agency they ask for; an admin chooses.
        officer = client.get(
            "/api/v1/metrics/digitization", params=period | {"agency": OTHER_AGENCY},
            headers=people["officer"].headers,
        ).json()  # fmt: skip
        assert officer["agency"] == AGENCY
        assert _figures(DigitizationMetrics.model_validate(officer)) == expected
        assert officer["digitization_rate"] == 0.6667 and officer["reuse_rate"] == 0.5
        # The activity counts kept from before go by the day of the work: scanned and reused today.
        assert (officer["documents_digitized"], officer["reuse_events"]) == (0, 0)
        admin = client.get("/api/v1/metrics/digitization", params=period, headers=people["admin"].headers)
        assert admin.json()["agency"] is None and admin.json()["dossiers_received"] == 4
        for bad in ({"from": "2025-05-01", "to": "2025-04-01"}, {"from": "2025-13-01"}):
            r = client.get("/api/v1/metrics/digitization", params=bad, headers=people["admin"].headers)
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
        r = client.get("/api/v1/metrics/digitization", params=period, headers=people["staff"].headers)
        assert r.status_code == 403

    # The index is a view: rebuilt from storage alone, the same figures.
    reindex(pair.store, pair.index)
    assert _figures(digitization_metrics(pair.index, MARCH, APRIL, AGENCY)) == expected


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "COLUMNS": "200"}
    return subprocess.run(
        [SOHOA, "metrics", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_sohoa_metrics_json_table_and_bad_dates(tmp_path: Path) -> None:
    data = tmp_path / "data"
    backends = make_backends(Settings(data_dir=data, workers=1))
    try:
        _counter(backends.store, backends.index, tmp_path)
    finally:
        backends.close()
    r = _run(data, "--agency", AGENCY, "--from", "2025-03-01", "--to", "2025-04-30", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["digitization_rate"], out["reuse_rate"]) == (0.6667, 0.5)
    assert [(m["month"], m["dossiers_received"], m["digitized"]) for m in out["months"]] == [
        ("2025-03", 2, 1),
        ("2025-04", 1, 1),
    ]
    r = _run(data, "--from", "2025-01-01", "--to", "2025-04-30")
    assert r.returncode == 0, r.stderr
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:8]]
            for line in r.stdout.splitlines() if line.count("│") == 8}  # fmt: skip
    assert rows["2025-01"] == ["0", "0", "—", "0", "0", "—"]  # no dossier: no rate
    assert rows["2025-02"] == ["1", "1", "100.0%", "0", "1", "0.0%"]
    assert rows["tổng / total"] == ["5", "4", "80.0%", "1", "4", "25.0%"]
    for args, says in [
        (("--from", "1/3/2025"), "YYYY-MM-DD"),
        (("--from", "2025-05-01", "--to", "2025-04-01"), "before it starts"),
    ]:
        r = _run(data, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert says in r.stderr and "Traceback" not in r.stderr
