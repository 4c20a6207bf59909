"""What a fixity run found (mismatching, missing and unreadable objects, orphans), its counts and throughput,
and the checkpoint an interrupted run leaves in the store so that `--resume` goes on from it.

The checkpoint carries the findings and counts so far (findings are few on a healthy archive), so a run
resumed after an interruption ends with the report of the whole run, not only of its last part."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sohoa.records.basics import utcnow
from sohoa.storage.base import ObjectNotFound, ObjectStore

CHECKPOINT_KEY = "fixity/last-run.json"


@dataclass(frozen=True, slots=True)
class Finding:
    """One object a record names whose bytes are not what was recorded: `found` is the sha256 of the bytes
    stored now ("" when they are gone), or why the record could not be read."""

    key: str
    expected: str
    found: str


@dataclass
class FixityReport:
    prefix: str = ""
    since: date | None = None
    started_at: datetime = field(default_factory=utcnow)
    documents: int = 0  # records whose objects were checked, in every part of the run
    objects: int = 0
    bytes: int = 0
    mismatches: list[Finding] = field(default_factory=list)
    missing: list[Finding] = field(default_factory=list)
    unreadable: list[Finding] = field(default_factory=list)  # manifests that hash right but do not parse
    orphans: list[str] = field(default_factory=list)  # under documents/, named by no record: not errors
    last_doc: str | None = None  # the last document done: where a resumed run goes on after
    complete: bool = False
    resumed_after: str | None = None
    # This part of the run alone, for its throughput.
    seconds: float = 0.0
    part_objects: int = 0
    part_bytes: int = 0

    @property
    def clean(self) -> bool:
        return not (self.mismatches or self.missing or self.unreadable)

    @property
    def objects_per_second(self) -> float:
        return self.part_objects / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.part_bytes / 1e6 / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        out = asdict(self)
        out["since"] = self.since.isoformat() if self.since else None
        out["started_at"] = self.started_at.isoformat()
        out.update(
            clean=self.clean,
            objects_per_second=round(self.objects_per_second, 1),
            mb_per_second=round(self.mb_per_second, 2),
        )
        return out


def _findings(items: list[dict]) -> list[Finding]:
    return [Finding(**item) for item in items]


def write_checkpoint(store: ObjectStore, report: FixityReport) -> None:
    store.put_bytes(CHECKPOINT_KEY, json.dumps(report.as_json()).encode(), content_type="application/json")


def read_checkpoint(store: ObjectStore) -> FixityReport | None:
    """The last run's report as last written, or None when no run has left one."""
    try:
        data = json.loads(store.get_bytes(CHECKPOINT_KEY))
    except ObjectNotFound:
        return None
    return FixityReport(
        prefix=data["prefix"],
        since=date.fromisoformat(data["since"]) if data["since"] else None,
        started_at=datetime.fromisoformat(data["started_at"]),
        documents=data["documents"],
        objects=data["objects"],
        bytes=data["bytes"],
        mismatches=_findings(data["mismatches"]),
        missing=_findings(data["missing"]),
        unreadable=_findings(data["unreadable"]),
        orphans=list(data["orphans"]),
        last_doc=data["last_doc"],
        complete=data["complete"],
        resumed_after=data["resumed_after"],
    )
