"""The delivery loop: a round of event deliveries (archive.deliveries) now and every few seconds, in a
daemon thread of whatever process runs it (`sohoa serve`, `sohoa worker --take-jobs`), beside the index
catch-up (ingest.catchup) and in the same way. Several processes may run it on one store: each attempt is
claimed before it is made, so a pair is never sent twice at once. No exception ends the loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sohoa.archive.deliveries import DeliveryPolicy, RoundReport, deliver_round
from sohoa.storage.base import ObjectStore

log = logging.getLogger("sohoa.deliveries")
STOP_SECONDS = 10.0


def delivery_round(store: ObjectStore, policy: DeliveryPolicy) -> RoundReport | None:
    """One round, logged; None if the store failed (the outbox is kept for the next round). Never raises."""
    try:
        report = deliver_round(store, policy)
    except Exception:
        log.exception("deliveries: round failed; events kept for the next round")
        return None
    if report.acknowledged or report.failed or report.gave_up:
        log.info(
            "deliveries: %d acknowledged, %d failed, %d given up, %d events done",
            report.acknowledged,
            report.failed,
            report.gave_up,
            report.cleared,
        )
    for error in report.errors[:20]:
        log.warning("deliveries: %s", error)
    return report


def start_deliveries(store: ObjectStore, policy: DeliveryPolicy, seconds: float) -> Callable[[], None]:
    """Run a delivery round now and every `seconds` after it in a daemon thread; returns the function that
    stops it. `seconds` <= 0: nothing is started."""
    if seconds <= 0:
        return lambda: None
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            delivery_round(store, policy)
            stopping.wait(seconds)

    thread = threading.Thread(target=loop, name="sohoa-deliveries", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(STOP_SECONDS)

    return stop
