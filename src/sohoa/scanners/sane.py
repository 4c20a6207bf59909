"""Drive a SANE scanner with `scanimage` in batch mode: pages from the feeder into a folder, each announced as
soon as it is complete (`--batch-print`), so the caller can start on them while the rest are scanned.
Tested for real with SANE's `test` backend, which makes pages without hardware."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sohoa.errors import BadInput, ServiceUnavailable


@dataclass(frozen=True)
class ScanSettings:
    device: str
    source: str | None = None  # e.g. "ADF", "Automatic Document Feeder", "ADF Duplex"
    duplex: bool = False
    dpi: int = 300
    mode: str = "Color"  # the rules ask for colour
    count: int | None = None  # pages to scan; None: until the feeder is empty
    extra: tuple[str, ...] = ()  # device-specific options, passed as they are


def scanimage_args(settings: ScanSettings, folder: Path) -> list[str]:
    args = [
        "scanimage",
        "--device-name",
        settings.device,
        f"--batch={folder / 'page-%04d.png'}",
        "--batch-print",
        "--format=png",
        f"--resolution={settings.dpi}",
        f"--mode={settings.mode}",
    ]
    source = settings.source
    if settings.duplex and source and "duplex" not in source.lower():
        source = f"{source} Duplex"
    if source:
        args.append(f"--source={source}")
    if settings.count is not None:
        args.append(f"--batch-count={settings.count}")
    return [*args, *settings.extra]


def scan_pages(settings: ScanSettings, folder: Path) -> Iterator[Path]:
    """Each page file as soon as scanimage has finished writing it."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.Popen(
            scanimage_args(settings, folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    except FileNotFoundError as exc:
        raise ServiceUnavailable(
            "Chưa cài scanimage (gói sane-utils)", "scanimage is not installed (Debian: sane-utils)"
        ) from exc
    assert proc.stdout is not None and proc.stderr is not None
    count = 0
    for line in proc.stdout:
        path = Path(line.strip())
        if path.is_file():
            count += 1
            yield path
    stderr = proc.stderr.read()
    code = proc.wait()
    # scanimage ends a feeder batch with "Document feeder out of documents": success, not an error.
    if code != 0 and not (count and "out of documents" in stderr.lower()):
        raise BadInput(
            f"Máy quét báo lỗi: {stderr.strip()[-300:]}",
            f"scanner error (scanimage exit {code}): {stderr.strip()[-300:]}",
        )
    if count == 0:
        raise BadInput(
            "Máy quét không trả về trang nào", f"the scanner gave no page: {stderr.strip()[-300:]}"
        )
