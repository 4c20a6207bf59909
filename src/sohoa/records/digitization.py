"""The digitization process as explicit states (Circular 01/2023/TT-VPCP art. 7-8): copy to electronic form,
sign the copy, extract data, issue the result code, store. Each step taken is an entry in the document's
history; a step may only follow the steps the table allows, so the history always tells a possible story.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from sohoa.errors import Conflict
from sohoa.records.basics import NfcStr, utcnow


class Step(StrEnum):
    COPY = "copy"  # scanned or received; the searchable PDF made
    SIGN = "sign"  # the copy signed by the digitizer or certified by the agency
    EXTRACT = "extract"  # fields read
    CODE = "code"  # digitization result code issued (results only)
    STORE = "store"  # kept in storage and the index


# What may come after each step. Signing is optional, and may also come after storing (the person signs
# once the copy is stored); a signed copy is then stored again. Several signatures follow one another.
NEXT: dict[Step | None, frozenset[Step]] = {
    None: frozenset({Step.COPY}),
    Step.COPY: frozenset({Step.SIGN, Step.EXTRACT}),
    Step.SIGN: frozenset({Step.SIGN, Step.EXTRACT, Step.STORE}),
    Step.EXTRACT: frozenset({Step.CODE, Step.STORE}),
    Step.CODE: frozenset({Step.STORE}),
    Step.STORE: frozenset({Step.SIGN}),
}


class HistoryEntry(BaseModel):
    step: Step
    at: datetime = Field(default_factory=utcnow)
    by: str
    detail: dict[str, NfcStr] = {}


class IllegalStep(Conflict):
    """A step the table does not allow after the last one taken."""

    def __init__(self, last: Step | None, step: Step) -> None:
        after = last.value if last else "nothing"
        super().__init__(
            f"Bước {step.value!r} không thể đi sau {after!r}", f"step {step.value!r} cannot follow {after!r}"
        )
        self.last = last
        self.step = step

    def __reduce__(self) -> tuple[type[IllegalStep], tuple[Step | None, Step]]:  # type: ignore[override]
        return type(self), (self.last, self.step)


def last_step(history: list[HistoryEntry]) -> Step | None:
    return history[-1].step if history else None


def advance(history: list[HistoryEntry], step: Step, *, by: str, **detail: str) -> list[HistoryEntry]:
    """The history with `step` taken; IllegalStep when the table does not allow it after the last step."""
    last = last_step(history)
    if step not in NEXT[last]:
        raise IllegalStep(last, step)
    return [*history, HistoryEntry(step=step, by=by, detail=detail)]
