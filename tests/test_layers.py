"""The import rules of pyproject.toml's [tool.importlinter] hold, and they are not vacuous: an import added
against a layer breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"},
    )


def test_the_layers_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_an_import_against_the_layers_breaks_the_check(tmp_path: Path) -> None:
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "src", copy / "src")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    ocr_module = copy / "src" / "sohoa" / "ocr" / "blank.py"
    ocr_module.write_text(ocr_module.read_text() + "\nimport sohoa.storage  # noqa\n")
    result = _lint(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
