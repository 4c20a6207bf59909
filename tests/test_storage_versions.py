"""The ObjectStore contract for versions, run against every backend: compare-and-swap (`replace_bytes`) has
exactly one winner per version among threads and among processes, `update_manifest` loses no update, and a
read during rewrites is checked against the version it read (never a false IntegrityError)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sohoa.errors import PreconditionFailed
from sohoa.storage import IntegrityError, ObjectLocked, ObjectNotFound, ObjectStore, VersionConflict
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import update_manifest, write_manifest

KEY = "documents/race/manifest.json"


class Tally(BaseModel):
    count: int = 0
    by: list[str] = []


def _spec(store: ObjectStore, request: pytest.FixtureRequest) -> tuple[Any, ...]:
    """What a process needs to open the same store."""
    if isinstance(store, FilesystemStore):
        return ("fs", str(store.root))
    return ("minio", request.getfixturevalue("services"), store.bucket)  # type: ignore[attr-defined]


def _open(spec: tuple[Any, ...]) -> ObjectStore:
    if spec[0] == "fs":
        return FilesystemStore(Path(spec[1]))
    from conftest import make_minio

    return make_minio(spec[1], spec[2])


def test_replace_bytes_compares_and_swaps(store: ObjectStore) -> None:
    store.put_bytes(KEY, b"one", content_type="application/json")
    data, v1 = store.read_versioned(KEY)
    assert data == b"one"
    v2 = store.replace_bytes(KEY, b"two", if_version=v1, content_type="application/json")
    assert v2 != v1
    assert store.read_versioned(KEY) == (b"two", v2)
    assert store.stat(KEY).content_type == "application/json"
    with pytest.raises(VersionConflict) as caught:
        store.replace_bytes(KEY, b"stale", if_version=v1)
    assert (caught.value.http_status, caught.value.code) == (409, "edit_conflict")
    assert store.get_bytes(KEY) == b"two"  # nothing written by the loser
    with pytest.raises(ObjectNotFound):
        store.replace_bytes("documents/none/manifest.json", b"x", if_version=v1)
    store.put_bytes("documents/race/master.pdf", b"master", locked=True)
    _, locked_version = store.read_versioned("documents/race/master.pdf")
    with pytest.raises(ObjectLocked):
        store.replace_bytes("documents/race/master.pdf", b"x", if_version=locked_version)
    assert store.get_bytes("documents/race/master.pdf") == b"master"


def _contend(store: ObjectStore, barrier: Any, name: str, rounds: int) -> list[bool]:
    """Each round: everyone reads the same version, then everyone tries to replace it."""
    won = []
    for _ in range(rounds):
        barrier.wait()
        data, version = store.read_versioned(KEY)
        barrier.wait()
        try:
            store.replace_bytes(KEY, data + f"{name};".encode(), if_version=version)
        except VersionConflict:
            won.append(False)
        else:
            won.append(True)
    return won


def _contend_in_process(spec: tuple[Any, ...], barrier: Any, name: str, rounds: int, out: Any) -> None:
    out.put((name, _contend(_open(spec), barrier, name, rounds)))


def _one_winner_per_round(results: dict[str, list[bool]], rounds: int, final: bytes) -> None:
    for r in range(rounds):
        assert sum(won[r] for won in results.values()) == 1, f"round {r}: {results}"
    winners = [name for r in range(rounds) for name, won in results.items() if won[r]]
    assert final.decode() == "".join(f"{name};" for name in winners)  # every winner's write kept, in order


def test_one_writer_wins_each_round_among_threads(store: ObjectStore) -> None:
    store.put_bytes(KEY, b"")
    rounds, writers = 12, 4
    barrier = threading.Barrier(writers)
    with ThreadPoolExecutor(writers) as pool:
        futures = {f"t{n}": pool.submit(_contend, store, barrier, f"t{n}", rounds) for n in range(writers)}
        results = {name: f.result() for name, f in futures.items()}
    _one_winner_per_round(results, rounds, store.get_bytes(KEY))


def test_one_writer_wins_each_round_among_processes(
    store: ObjectStore, request: pytest.FixtureRequest
) -> None:
    store.put_bytes(KEY, b"")
    rounds, writers = 8, 3
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(writers, timeout=120), ctx.Queue()
    procs = [
        ctx.Process(target=_contend_in_process, args=(_spec(store, request), barrier, f"p{n}", rounds, out))
        for n in range(writers)
    ]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    _one_winner_per_round(results, rounds, store.get_bytes(KEY))


def _count(store: ObjectStore, name: str, times: int) -> None:
    def add(tally: Tally) -> Tally:
        tally.count += 1
        tally.by.append(name)
        return tally

    for _ in range(times):
        update_manifest(store, KEY, Tally, add)


def _count_in_process(spec: tuple[Any, ...], name: str, times: int) -> None:
    _count(_open(spec), name, times)


def test_update_manifest_loses_no_update(store: ObjectStore, request: pytest.FixtureRequest) -> None:
    """Threads and processes add one each, all at once, with retries: every addition is there."""
    write_manifest(store, KEY, Tally())
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_count_in_process, args=(_spec(store, request), f"p{n}", 5)) for n in range(2)
    ]
    for p in procs:
        p.start()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda n: _count(store, f"t{n}", 5), range(3)))
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    tally = Tally.model_validate_json(store.get_bytes(KEY))
    assert tally.count == 25
    assert sorted(tally.by) == sorted(
        f"{who}{n}" for who, k in (("p", 2), ("t", 3)) for n in range(k) for _ in range(5)
    )


def test_update_manifest_checks_if_match(store: ObjectStore) -> None:
    write_manifest(store, KEY, Tally())
    _, version = store.read_versioned(KEY)
    update_manifest(store, KEY, Tally, lambda t: t.model_copy(update={"count": 1}), if_match={version})
    with pytest.raises(PreconditionFailed) as caught:
        update_manifest(store, KEY, Tally, lambda t: t.model_copy(update={"count": 99}), if_match={version})
    assert caught.value.http_status == 412
    assert Tally.model_validate_json(store.get_bytes(KEY)).count == 1


def test_reads_during_rewrites_are_never_taken_for_damage(
    store: ObjectStore, metrics: dict[str, str]
) -> None:
    """One thread rewrites a key with two alternating contents while another reads it 320 times or more:
    each read is one whole content, checked against the sha256 of that very version."""
    contents = [b"A" * 5000, b"B" * 7000]
    store.put_bytes(KEY, contents[0])
    stop = threading.Event()
    written = [0]

    def rewrite() -> None:
        while not stop.is_set():
            written[0] += 1
            store.put_bytes(KEY, contents[written[0] % 2])

    failures, reads = 0, []
    with ThreadPoolExecutor(1) as pool:
        writes = pool.submit(rewrite)
        try:
            # Until both have done enough: the reads overlap many rewrites whichever side is faster.
            while len(reads) + failures < 320 or written[0] < 40:
                try:
                    reads.append(store.get_bytes(KEY))
                except IntegrityError:
                    failures += 1
        finally:
            stop.set()
        writes.result()
    total = len(reads) + failures
    metrics[f"false integrity errors during rewrites ({type(store).__name__})"] = f"{failures} of {total}"
    assert failures == 0
    assert set(reads) == set(contents)
