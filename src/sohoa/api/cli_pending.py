"""`sohoa catch-up`: store the audit events this data folder spooled while the store took no writes
(archive.audit_spool), then index the changes storage has and the index missed (their index write failed after
they were stored, `ingest.pending`); exits 4, keeping what is left, while a service is still unreachable."""

from __future__ import annotations

from sohoa.api.cli_common import backends_or_fail, console
from sohoa.archive.audit_spool import flush_spool, spool_dir
from sohoa.archive.pending import catch_up as replay
from sohoa.archive.pending import pending


def catch_up() -> None:
    """Store the spooled audit events; index the changes whose index write failed after they were stored."""
    with backends_or_fail("catch-up") as backends:
        moved = flush_spool(backends.store, backends.index, spool_dir(backends.settings.data_dir))
        if moved:
            console.print(f"{moved} sự kiện nhật ký đã lưu / spooled audit events stored")
        waiting = len(pending(backends.store))
        done = replay(backends.store, backends.index)
    console.print(f"{done}/{waiting} thay đổi đã lập chỉ mục / changes indexed")
