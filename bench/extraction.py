"""Field extraction benchmark: precision and recall per field on generated results read by real OCR.

Each document is a one-page result (decision, permit, certificate, notice) rendered with known fields and
degraded like a counter scan (skew, noise, turned pages, JPEG, tint with seal and signature, 200 dpi).

    .venv/bin/python bench/extraction.py --docs 24
"""

from __future__ import annotations

import argparse
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from rich.console import Console
from rich.table import Table

from sohoa.ocr.fields import extract_fields
from sohoa.ocr.pipeline import process_page
from sohoa.samples.scangen import DEFAULT_MIX, Degradation, make_result_document

MIX = (*DEFAULT_MIX, Degradation(perspective=0.03, tint=True))


def one(seed: int) -> tuple[dict[str, str], list[tuple[str, str]]]:
    degradation = MIX[seed % len(MIX)]
    dpi = 200 if seed % 5 == 4 else 300
    sample, truth = make_result_document(seed=seed, degradation=degradation, dpi=dpi)
    out = process_page(np.asarray(sample.image), dpi=dpi)
    fields = extract_fields([(1, out.analysis.words, out.analysis.width)])
    return truth, [(f.name.value, f.value) for f in fields]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args()
    tp, fp, fn = Counter(), Counter(), Counter()
    with ProcessPoolExecutor(2) as pool:
        for truth, found in pool.map(one, range(args.seed, args.seed + args.docs)):
            got = set(found)
            for name, value in got:
                (tp if truth.get(name) == value else fp)[name] += 1
            for name, value in truth.items():
                if (name, value) not in got:
                    fn[name] += 1
    table = Table(title=f"field extraction on {args.docs} generated results (seed {args.seed})")
    for col in ("field", "found right", "found wrong", "missed", "precision", "recall"):
        table.add_column(col, justify="right" if col != "field" else "left")
    names = sorted(set(tp) | set(fp) | set(fn))
    for name in [*names, "all"]:
        t = sum(tp.values()) if name == "all" else tp[name]
        f = sum(fp.values()) if name == "all" else fp[name]
        m = sum(fn.values()) if name == "all" else fn[name]
        p = t / (t + f) if t + f else 0.0
        r = t / (t + m) if t + m else 0.0
        table.add_row(name, str(t), str(f), str(m), f"{p:.3f}", f"{r:.3f}")
    Console().print(table)


if __name__ == "__main__":
    main()
