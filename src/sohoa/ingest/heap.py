"""Large blocks handed back to the system when freed, in the processes that read pages.

A page at 300 dpi is a 26 MB array, and reading it makes a few more that size. glibc serves blocks that
large by mmap (unmapped when freed) only until the first one is freed: it then raises its mmap threshold
to that block's size (up to 32 MB on 64-bit), and the next pages' arrays come from the heap, where freed
memory mostly stays with the process. A page worker sat at ~270 MB resident while Tesseract read its page
with ~70 MB of it in use, and two workers at that, each beside its Tesseract, made most of a job's peak
(647 MiB PSS for the whole `sohoa ingest` tree). A fixed threshold (mallopt M_MMAP_THRESHOLD, which also
turns the adjustment off) keeps such blocks mapped: ~190 MB a worker, 480 MiB for the tree, in one run of
bench/pdf_memory. Where the C library is not glibc, nothing changes.
"""

from __future__ import annotations

import ctypes

_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
# Blocks from 1 MiB up (a page's arrays and copies) are mapped on their own; smaller ones stay on the heap,
# where mapping each would cost a system call for little gain.
LARGE_BLOCK = 1 << 20


def give_back_large_blocks() -> bool:
    """Have this process (and the processes it forks later) map large blocks apart, so that freeing them
    returns them to the system; False where that cannot be asked (not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))
