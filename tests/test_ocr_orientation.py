"""Orientation in one place: ocr.orientation is the one module that asks Tesseract which way up a page is,
and ocr.cleanup stays pure image geometry (issue 21, item 6). The decision itself is tested on real pages
in test_ocr.py."""

from __future__ import annotations

import ast
from pathlib import Path

OCR = Path(__file__).resolve().parents[1] / "src" / "sohoa" / "ocr"


def _tree(name: str) -> ast.Module:
    return ast.parse((OCR / name).read_text(encoding="utf-8"))


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {f"{node.module}.{a.name}" for a in node.names} | {str(node.module)}
    return names


def test_cleanup_is_pure_image_geometry() -> None:
    imported = _imported(_tree("cleanup.py"))
    assert not {n for n in imported if "tesseract" in n or n.startswith("sohoa")}, imported


def test_only_orientation_asks_tesseract_which_way_is_up() -> None:
    asking = set()
    for path in OCR.glob("*.py"):
        for node in ast.walk(_tree(path.name)):
            if isinstance(node, ast.Attribute) and node.attr in ("detect_orientation", "quick_confidence"):
                asking.add(path.name)
    assert asking == {"orientation.py"}
