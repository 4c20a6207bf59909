"""Synthetic scans of Vietnamese administrative pages, with ground truth: for the demo batch, tests and
benchmarks. Pages are rendered at scanning resolution with Debian's fonts and degraded the way scanners and
paper degrade them (skew, turned pages, noise, blur, JPEG, dark lid borders, tinted paper, seals)."""

from sohoa.samples.scangen import (
    Degradation,
    SamplePage,
    blank_back,
    degrade,
    make_batch,
    make_page,
    render_page,
    write_pdf,
    write_tiff,
)
from sohoa.samples.texts import sample_texts

__all__ = [
    "Degradation",
    "SamplePage",
    "blank_back",
    "degrade",
    "make_batch",
    "make_page",
    "render_page",
    "sample_texts",
    "write_pdf",
    "write_tiff",
]
