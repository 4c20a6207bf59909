"""What every ingest step works with, as one value: where documents are stored and indexed, who reads the
pages, how they are read, what a file may be, where scratch files go, and whose signatures are trusted.

Built once where the settings are turned into backends (`api.backends`, for the API and the CLI alike) and
passed first to every pipeline function, so a new step needs no new parameter threaded through five
callers. It holds the process's shared services, never a file's or a person's facts: those travel in the
intake (`ingest.intake`). The per-page counterpart, what a worker needs for one page, is `pages.PageTask`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509

from sohoa.ingest.executor import Executor, InlineExecutor
from sohoa.ingest.sniff import Limits
from sohoa.ocr.options import OcrOptions
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore


@dataclass(frozen=True, slots=True)
class IngestContext:
    store: ObjectStore
    index: SearchIndex
    executor: Executor = field(default_factory=InlineExecutor)
    options: OcrOptions = field(default_factory=OcrOptions)
    limits: Limits = field(default_factory=Limits)
    scratch_root: Path | None = None  # None: the system's temporary directory
    trust_anchors: tuple[x509.Certificate, ...] = ()

    @classmethod
    def given(
        cls,
        store: ObjectStore,
        index: SearchIndex,
        *,
        executor: Executor | None = None,
        options: OcrOptions | None = None,
        limits: Limits | None = None,
        scratch_root: Path | None = None,
        trust_anchors: Sequence[x509.Certificate] = (),
    ) -> IngestContext:
        """The context from keywords, None meaning the default (the keyword forms of the entry points)."""
        return cls(
            store,
            index,
            executor or InlineExecutor(),
            options or OcrOptions(),
            limits or Limits(),
            scratch_root,
            tuple(trust_anchors),
        )

    def scratch(self, prefix: str) -> Path:
        """A new scratch directory of this run (the caller removes it)."""
        if self.scratch_root is not None:
            self.scratch_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.scratch_root))
