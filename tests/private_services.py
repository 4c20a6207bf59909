"""A MinIO + Elasticsearch + Redis set of one test's own, started by deploy/services.sh in a run directory
and on ports of its own (tests/ports.py), so that the test may kill or restart its servers while the rest of
the suite (other xdist workers included) goes on with the shared set."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import SERVICES, _parse_exports
from ports import services_env


@dataclass
class PrivateSet:
    env: dict[str, str]  # what drives the script (its run directory and ports)
    exports: dict[str, str]  # what points sohoa at the servers (SOHOA_MINIO_*, SOHOA_ES_URL, ...)
    run_dir: Path

    def script(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SERVICES), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=900,
            check=False,
        )


@contextmanager
def private_set(ports: dict[str, int], prefix: str) -> Iterator[PrivateSet]:
    """Up on entry, `down --wipe` on exit. Call it from a test that also takes the shared `services` fixture:
    that one makes sure the servers are installed."""
    # Under /tmp itself: Elasticsearch runs as its own user and must reach the run directory.
    run_dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    run_dir.chmod(0o755)
    shutil.rmtree(run_dir)  # `up` makes it
    env = {**os.environ, "SOHOA_RUN_DIR": str(run_dir), "SOHOA_ES_HEAP": "256m", **services_env(ports)}
    found = PrivateSet(env, {}, run_dir)
    try:
        up = found.script("up")
        assert up.returncode == 0, up.stderr[-4000:]
        found.exports = _parse_exports(up.stdout)
        yield found
    finally:
        found.script("down", "--wipe")
        shutil.rmtree(run_dir, ignore_errors=True)
        Path(f"{run_dir}.lock").unlink(missing_ok=True)
