"""Web page benchmark: the officer's search page against the JSON search API it is built on, over the same
index of N synthetic Vietnamese pages (bench/search.py's generator), in the same run.

Both are timed in-process through the ASGI app (no network), so the figures are server time: the API's
search plus, for the page, rendering the results. Prints p50/p95/p99 per kind of query and the ratio.

    .venv/bin/python bench/web.py --pages 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console

from _table import SideBySide, percentile
from search import pages, queries
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.ingest import accounts
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
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
        index.close()
    console.print(table.table)


if __name__ == "__main__":
    main()
