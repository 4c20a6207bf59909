"""Web page benchmark: each page against the JSON API calls it is built on, over the same index, in the same
run. The officer's search page over N synthetic Vietnamese pages (bench/search.py's generator); the
citizen's "Giấy tờ của tôi" and the officer's dossier page over N document summaries of N/5 owners
(bench/reuse.py's generator), for owners drawn at random, each with a dossier.

All are timed in-process through the ASGI app (no network), so the figures are server time: the API's work
plus, for the page, rendering it. Prints p50/p95/p99 and the ratio.

    .venv/bin/python bench/web.py --pages 100000
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console

from _table import SideBySide, percentile
from reuse import documents, owner_ids
from search import pages, queries
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.archive.dossiers import create_dossier
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.identifiers import InvalidIdentifier, validate_owner_id
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.filesystem import FilesystemStore

AGENCY = "000.00.11.H29"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-web-") as tmp:
        data = Path(tmp)
        store, index = FilesystemStore(data / "store"), SqliteIndex(data / "index.sqlite3")
        start, chunk, owners = time.perf_counter(), [], []
        for page in pages(args.pages, args.seed):
            chunk.append(page.model_copy(update={"agency": AGENCY}))
            if len(owners) < 5000:
                owners.append(page.owner_id or "")
            if len(chunk) >= 2000:
                index.index_pages(chunk)
                chunk = []
        index.index_pages(chunk)
        console.print(f"indexed {args.pages:,} pages in {time.perf_counter() - start:.0f} s")
        accounts.add_user(store, User(username="officer", role=Role.OFFICER, agency=AGENCY))
        token, _ = accounts.issue_token(store, "officer", lifetime=timedelta(hours=1))
        settings = Settings(data_dir=data, workers=1)
        app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
        title = f"Officer search at {args.pages:,} pages: server time, ms"
        table = SideBySide(title, ["API /api/v1/search", "page /search"], ratio_label="page / API")
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app, base_url="https://testserver") as client:
            for kind, qs in queries(args.seed, owners).items():
                times: dict[str, list[float]] = {"api": [], "page": []}
                for q in qs:
                    params = {"q": q.text, "owner_id": q.owner_id or "", "doc_type": q.doc_type or ""}
                    params = {k: v for k, v in params.items() if v}
                    for name, url in (("api", "/api/v1/search"), ("page", "/search")):
                        t = time.perf_counter()
                        r = client.get(url, params=params, headers=headers)
                        times[name].append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, r.text[:300]
                for p in (50, 95, 99):
                    table.row(
                        f"{kind} p{p}", [percentile(times["api"], p), percentile(times["page"], p)], ".1f"
                    )
            owners_table = _owner_pages(client, store, index, headers, args.pages, args.seed)
        index.close()
    console.print(table.table)
    console.print(owners_table.table)


def _valid_id(owner: str) -> bool:
    # The generator draws century and birth-year digits freely; a citizen's account needs a plausible one.
    try:
        validate_owner_id(owner)
    except InvalidIdentifier:
        return False
    return True


def _owner_pages(
    client: TestClient, store: FilesystemStore, index: SqliteIndex, officer: dict[str, str], n: int, seed: int
) -> SideBySide:
    """The citizen's page and the dossier page, for 200 owners drawn among n documents' owners."""
    rng = random.Random(seed)
    owners = owner_ids(n // 5, rng)
    start, chunk = time.perf_counter(), []
    for record in documents(n, owners, seed):
        chunk.append(record)
        if len(chunk) >= 2000:
            index.index_documents(chunk)
            chunk = []
    index.index_documents(chunk)
    Console().print(f"indexed {n:,} document summaries in {time.perf_counter() - start:.0f} s")
    times: dict[str, list[float]] = {k: [] for k in ("my-api", "my-page", "dossier-api", "dossier-page")}
    for i, owner in enumerate(rng.sample([o for o in owners if _valid_id(o)], 200)):
        citizen = User(username=f"citizen-{i}", role=Role.CITIZEN, personal_id=owner)
        accounts.add_user(store, citizen)
        token, _ = accounts.issue_token(store, citizen.username, lifetime=timedelta(hours=1))
        mine = {"Authorization": f"Bearer {token}"}
        new = NewDossier(
            agency=AGENCY,
            procedure_code="1.001193",
            procedure_name="Đăng ký thường trú",
            applicant=Applicant(id_number=owner, name="Nguyễn Văn An"),
        )
        code = create_dossier(store, index, new, by="officer").code
        calls = {
            "my-api": [(f"/api/v1/owners/{owner}/documents", mine)],
            "my-page": [("/my", mine)],
            # The dossier page shows the dossier and the applicant's documents: two API calls.
            "dossier-api": [
                (f"/api/v1/dossiers/{code}", officer),
                (f"/api/v1/owners/{owner}/documents", officer),
            ],
            "dossier-page": [(f"/dossiers/{code}", officer)],
        }
        for name, requests in calls.items():
            t = time.perf_counter()
            for url, headers in requests:
                r = client.get(url, headers=headers)
                assert r.status_code == 200, (url, r.text[:300])
            times[name].append((time.perf_counter() - t) * 1000)
    table = SideBySide(
        f"Citizen and dossier pages at {n:,} documents: server time, ms",
        ["API", "page"],
        ratio_label="page / API",
    )
    for page_name in ("my", "dossier"):
        for p in (50, 95, 99):
            row = [percentile(times[f"{page_name}-api"], p), percentile(times[f"{page_name}-page"], p)]
            table.row(f"{page_name} p{p}", row, ".1f")
    return table


if __name__ == "__main__":
    main()
