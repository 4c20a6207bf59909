"""`sohoa catch-up`: index the changes storage has and the index missed (their index write failed after
they were stored, `ingest.pending`); exits 4, keeping what is left, while the index is still unreachable."""

from __future__ import annotations

from sohoa.api.cli_common import backends_or_fail, console
from sohoa.archive.pending import catch_up as replay
from sohoa.archive.pending import pending


def catch_up() -> None:
    """Index the changes whose index write failed after they were stored."""
    with backends_or_fail("catch-up") as backends:
        waiting = len(pending(backends.store))
        done = replay(backends.store, backends.index)
    console.print(f"{done}/{waiting} thay đổi đã lập chỉ mục / changes indexed")
