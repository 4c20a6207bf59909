"""The clustered set of deploy/services.sh (`up --cluster`): four MinIO nodes in one erasure set behind
HAProxy, three Elasticsearch nodes with a replica of every shard. Each test SIGKILLs real nodes, checks that
sohoa goes on as a province would need, and brings them back with `up --cluster`, which starts only what is
not running, on the same data.

- One MinIO node lost in the middle of an ingest: the ingest finishes, every object reads back with its
  sha256, and once the node is back `sohoa fixity` finds nothing missing.
- A node lost while it holds an object's lock: the next write of that object waits until the other nodes
  expire the lock, and is taken.
- Two of the four lost: reads go on; a write is refused with a 503 that says why, leaving nothing behind;
  with the nodes back, the same upload is taken.
- The Elasticsearch node holding an index's primary shard lost: every search answers with the same hits;
  the cluster is green again once the node is back.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from minio import Minio, MinioAdmin
from minio.credentials import StaticProvider
from minio.minioadmin import _COMMAND

from conftest import SERVICES, _parse_exports
from people import make_people
from sohoa.api.app import create_app
from sohoa.api.settings import Settings
from sohoa.archive.audit_spool import spool_dir, spooled
from sohoa.samples.scangen import make_page
from sohoa.samples.texts import sample_texts
from sohoa.search.base import PageRecord, SearchQuery
from sohoa.search.elastic import ElasticIndex
from sohoa.storage import keys
from sohoa.storage.base import StorageError
from sohoa.storage.minio import MinioStore
from waiting import alive, until

SOHOA = str(Path(sys.executable).parent / "sohoa")
# Where `up --cluster` keeps its pid files (deploy/cluster.sh: CLUSTER_RUN).
RUN = Path(
    os.environ.get("SOHOA_CLUSTER_RUN_DIR")
    or f"{os.environ.get('SOHOA_RUN_DIR') or '/tmp/sohoa-services'}-cluster"
)
PROBE = "whole-set-probe"  # the bucket of Cluster._whole's writes


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SERVICES), *args, "--cluster"], capture_output=True, text=True, timeout=900, check=False
    )


@dataclass
class Cluster:
    env: dict[str, str]

    def kill(self, name: str) -> None:
        """SIGKILL one process of the set (minio1..4, es1..3) and wait until it is gone."""
        pid = int((RUN / f"{name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        assert until(lambda: not alive(pid), 30), f"{name} (pid {pid}) outlived SIGKILL"

    def node(self, i: int) -> str:
        """MinIO node i's own address (deploy/cluster.sh: the four ports after the balancer's)."""
        host, port = self.env["SOHOA_MINIO_ENDPOINT"].rsplit(":", 1)
        return f"{host}:{int(port) + i}"

    def bring_back(self) -> None:
        up = _script("up")
        assert up.returncode == 0, up.stderr[-4000:]
        # `up` returns once every node answers and the set has its write quorum; a node just back is not yet
        # written to by all its peers then (each finds it again on its own reconnection attempt, backing off
        # up to 30 s), and an object written meanwhile lacks that node's shard until MinIO heals it.
        assert until(self._whole, 120, every=1), "a MinIO node's peers did not write to it again"

    def _whole(self) -> bool:
        """A 1 MiB object (too large to be kept inside its metadata) written through each node lands on the
        drives of all four. A node still joining its peers refuses writes (SlowDownWrite): not whole yet."""
        for i in range(1, 5):
            key = f"whole/{uuid.uuid4().hex}"
            try:
                self.store(PROBE, self.node(i)).put_bytes(key, os.urandom(1 << 20))
            except StorageError:
                return False
            if not all((RUN / f"minio{n}-data" / PROBE / key / "xl.meta").exists() for n in range(1, 5)):
                return False
        return True

    def store(self, bucket: str, endpoint: str = "") -> MinioStore:
        """A store on the set through the balancer, or through one node's own address."""
        return MinioStore(
            endpoint or self.env["SOHOA_MINIO_ENDPOINT"],
            self.env["SOHOA_MINIO_ACCESS_KEY"],
            self.env["SOHOA_MINIO_SECRET_KEY"],
            bucket=bucket,
            retention_days=1,
        )

    def settings_env(self, data_dir: Path) -> dict[str, str]:
        """What `sohoa` needs to work on the cluster, with a bucket and an index of its own."""
        name = f"c-{uuid.uuid4().hex[:12]}"
        return {
            **os.environ,
            **self.env,
            "SOHOA_DATA_DIR": str(data_dir),
            "SOHOA_STORAGE": "minio",
            "SOHOA_SEARCH": "elasticsearch",
            "SOHOA_MINIO_BUCKET": name,
            "SOHOA_ES_INDEX": name,
            "SOHOA_MINIO_RETENTION_DAYS": "1",
            "SOHOA_WORKERS": "1",
            "SOHOA_PENDING_SECONDS": "1",
        }


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    up = _script("up")
    if up.returncode != 0:
        pytest.fail(f"deploy/services.sh up --cluster failed:\n{up.stderr[-4000:]}", pytrace=False)
    env = _parse_exports(_script("env").stdout)
    assert len(env["SOHOA_ES_URL"].split(",")) == 3 and env["SOHOA_ES_REPLICAS"] == "1"
    try:
        yield Cluster(env)
    finally:
        # Seven servers the rest of the suite does not need; a fresh set next time.
        _script("down", "--wipe")


def _reads(store: MinioStore, key: str) -> bool:
    try:
        return bool(store.get_bytes(key))
    except StorageError:
        return False


def _write_quorum(cluster: Cluster) -> bool:
    """MinIO's own cluster probe, through the balancer: 200 while the set can take writes."""
    endpoint = cluster.env["SOHOA_MINIO_ENDPOINT"]
    return httpx.get(f"http://{endpoint}/minio/health/cluster", timeout=5).status_code == 200


def _pages(folder: Path, n: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"trang-{i}.png"
        make_page(seed=seed + i, size="A5", lines=3).image.save(path, dpi=(300, 300))
        paths.append(path)
    return paths


def test_an_ingest_finishes_when_a_minio_node_dies_and_fixity_finds_nothing_missing(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = cluster.settings_env(tmp_path / "data")
    scans = _pages(tmp_path / "scans", 6, seed=700)
    store = cluster.store(env["SOHOA_MINIO_BUCKET"])
    ingest = subprocess.Popen(
        [SOHOA, "ingest", str(tmp_path / "scans"), "--agency", "000.00.11.H29"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Killed once the first document is stored and the others are still to come.
        assert until(lambda: any(True for _ in store.list(keys.DOCUMENTS_PREFIX)), 180)
        cluster.kill("minio2")
        out, _ = ingest.communicate(timeout=600)
    finally:
        ingest.kill()
    assert ingest.returncode == 0, out

    manifests = [k for k in store.list(keys.DOCUMENTS_PREFIX) if keys.doc_id_of_manifest(k)]
    assert len(manifests) == len(scans), out
    stored = list(store.list(""))
    for key in stored:
        info = store.stat(key)
        if info.sha256:  # every object sohoa writes carries it; a listing may show the bucket's own files
            assert hashlib.sha256(store.get_bytes(key)).hexdigest() == info.sha256, key
    index = ElasticIndex(env["SOHOA_ES_URL"], index=env["SOHOA_ES_INDEX"], replicas=1)
    assert index.count() == len(scans)
    index.close()

    cluster.bring_back()
    fixity = subprocess.run(
        [SOHOA, "fixity", "--json"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr
    report = json.loads(fixity.stdout)
    assert report["clean"] and report["complete"]
    assert report["missing"] == report["mismatches"] == []
    assert report["documents"] == len(scans)


def _locked_keys(cluster: Cluster, i: int) -> set[str]:
    """The `bucket/key` names locked in the set, as node i gathers them from the live nodes (MinIO's admin
    `top locks`), with the locks too few live nodes still hold to count (`stale=true`), such as those of a
    dead node."""
    admin = MinioAdmin(
        endpoint=cluster.node(i),
        credentials=StaticProvider(
            cluster.env["SOHOA_MINIO_ACCESS_KEY"], cluster.env["SOHOA_MINIO_SECRET_KEY"]
        ),
        secure=False,
    )
    # The client's top_locks() sends no query; its request method signs one that does.
    answer = admin._url_open(method="GET", command=_COMMAND.TOP_LOCKS, query_params={"stale": "true"})
    return {lock["resource"] for lock in json.loads(answer.data or b"[]")}


def test_a_node_killed_holding_a_key_s_lock_the_next_write_of_that_key_waits_it_out_and_is_taken(
    cluster: Cluster,
) -> None:
    """A conditional write (If-Match, If-None-Match: how sohoa updates manifests, batches and accounts)
    holds the key's lock on every node for as long as its request lasts. A node killed in that time leaves
    the lock on the other nodes until they expire it, one to two minutes later; the next write of the key
    waits that out through the balancer and is taken, rather than failing as a timeout."""
    bucket = f"c-{uuid.uuid4().hex[:12]}"
    store = cluster.store(bucket)
    key = "jobs/held.json"
    store.put_bytes(key, b"one")
    version = store.read_versioned(key)[1]

    # A conditional PUT sent to minio2 itself, its body only half sent: minio2 takes the key's lock
    # before it reads the body, and holds it while it waits for the rest.
    node = Minio(
        cluster.node(2),
        access_key=cluster.env["SOHOA_MINIO_ACCESS_KEY"],
        secret_key=cluster.env["SOHOA_MINIO_SECRET_KEY"],
        secure=False,
    )
    url = urlsplit(node.presigned_put_object(bucket, key))
    held = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    held.putrequest("PUT", f"{url.path}?{url.query}")
    held.putheader("Content-Length", str(1 << 20))
    held.putheader("If-Match", f'"{version}"')
    held.endheaders()
    held.send(b"x" * 1024)
    try:
        assert until(lambda: f"{bucket}/{key}" in _locked_keys(cluster, 1), 30), "minio2 took no lock"
        cluster.kill("minio2")
        # The live nodes keep minio2's lock (not asked of their admin view: right after a peer's death it did
        # not always list it within seconds). With the balancer's old `timeout server 60s` this write got 504.

        new_version = store.replace_bytes(key, b"two", if_version=version)
        assert store.read_versioned(key) == (b"two", new_version)
    finally:
        held.close()
        cluster.bring_back()


def test_two_minio_nodes_down_reads_go_on_writes_are_refused_whole_and_come_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = cluster.settings_env(tmp_path / "data")
    settings = Settings(
        _env_file=None,
        **{k.removeprefix("SOHOA_").lower(): v for k, v in env.items() if k.startswith("SOHOA_")},
    )
    first, second = _pages(tmp_path / "scans", 2, seed=720)
    with TestClient(create_app(settings)) as client:
        store = client.app.state.backends.store
        client.headers.update(make_people(store)["staff"].headers)

        def upload(path: Path):
            with path.open("rb") as f:
                return client.post("/api/v1/documents", files={"file": (path.name, f, "image/png")})

        kept = upload(first)
        assert kept.status_code == 201, kept.text
        doc_id = kept.json()["id"]
        kept_master = kept.json()["master_key"]
        cluster.kill("minio3")
        cluster.kill("minio4")
        # What an operator's probe sees: the set says it has lost its write quorum.
        assert until(lambda: not _write_quorum(cluster), 30)
        # Reads are asked until the balancer and the live nodes have set the dead ones aside.
        assert until(lambda: _reads(store, kept_master), 30, every=0.5)

        before = set(store.list(""))
        jobs = client.get("/api/v1/jobs").json()
        assert client.get(f"/api/v1/documents/{doc_id}").status_code == 200
        master = client.get(f"/api/v1/documents/{doc_id}/master")
        assert master.status_code == 200 and master.content == first.read_bytes()
        # Those looks are on the trail all the same: on this server's disk until the store takes writes.
        assert len(spooled(spool_dir(settings.data_dir))) >= 2
        refused = upload(second)
        assert refused.status_code == 503, refused.text
        body = refused.json()
        assert "quá ít nút" in body["message_vi"] and "too few of its nodes" in body["detail"]
        assert set(store.list("")) == before  # nothing of the refused upload is visible
        assert client.get("/api/v1/jobs").json() == jobs  # not even a job record of it

        audited = len(list(store.list(keys.AUDIT_PREFIX)))
        cluster.bring_back()
        taken = upload(second)
        assert taken.status_code == 201, taken.text
        assert taken.json()["id"] != doc_id
        # The catch-up round (every SOHOA_PENDING_SECONDS) moves the spooled events into the store.
        assert until(lambda: not spooled(spool_dir(settings.data_dir)), 60)
        assert len(list(store.list(keys.AUDIT_PREFIX))) >= audited + 3


def test_searches_answer_the_same_while_the_node_with_the_primary_is_down(cluster: Cluster) -> None:
    name = f"c-{uuid.uuid4().hex[:12]}"
    index = ElasticIndex(cluster.env["SOHOA_ES_URL"], index=name, replicas=1, timeout=30)
    texts = sample_texts()
    index.index_pages(
        [PageRecord(doc_id=f"{i:024x}", page=1, text=texts[i % len(texts)][:2000]) for i in range(40)]
    )
    es = index.client
    assert es.cluster.health(index=name, wait_for_status="green", timeout="60s")["status"] == "green"
    queries = [SearchQuery(text=q) for q in ("ủy ban nhân dân", "hồ sơ", '"thủ tục hành chính"')]
    expected = [[(h.doc_id, h.page) for h in index.search(q).hits] for q in queries]
    assert all(expected)

    primary = next(
        s["node"]
        for s in es.cat.shards(index=name, format="json")
        if s["prirep"] == "p" and s["state"] == "STARTED"
    )
    cluster.kill(primary)  # node names are those of the pid files: es1, es2, es3
    for _ in range(5):
        assert [[(h.doc_id, h.page) for h in index.search(q).hits] for q in queries] == expected

    cluster.bring_back()
    assert es.cluster.health(wait_for_status="green", wait_for_nodes="3", timeout="120s")["status"] == "green"
    assert [[(h.doc_id, h.page) for h in index.search(q).hits] for q in queries] == expected
    index.clear()
    index.close()
