"""What the processes that do not read pages load (issue 23, memory): the command line, the ingest that hands
out page tasks and commits their results, and the file checks' forkserver. Each runs beside two page workers;
pyHanko (with aiohttp and cryptography), OpenCV and the web framework cost them about 50 MB and a second of
CPU, and only the page workers, signing and the web app need them."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pyhanko", "aiohttp", "cv2", "starlette", "fastapi")


def _loaded(*modules: str) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "modules",
    [
        ("sohoa.api.cli",),  # every command's start, `sohoa ingest` included
        ("sohoa.ingest.pipeline", "sohoa.ingest.pages", "sohoa.ingest.stack", "sohoa.api.backends"),
        ("sohoa.ingest.sniff",),  # what the file checks' forkserver preloads
    ],
)
def test_processes_that_read_no_page_load_no_heavy_library(modules: tuple[str, ...]) -> None:
    assert _loaded(*modules) == set()


def test_the_page_worker_and_the_signature_check_load_theirs() -> None:
    assert {"cv2"} <= _loaded("sohoa.ingest.page_work")
    assert {"pyhanko"} <= _loaded("sohoa.signatures.presence", "sohoa.signatures.verify")
    assert "pyhanko" not in _loaded("sohoa.signatures.presence")
