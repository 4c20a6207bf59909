"""`sohoa serve` as a real process in tests: started on a free loopback port, waited on until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SOHOA = str(Path(sys.executable).parent / "sohoa")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`sohoa serve` with `env`, its output appended to `log`; the process and its base URL once
    /api/v1/health answers (the test fails with the log's tail if it never does)."""
    port = free_port()
    with log.open("ab") as out:
        server = subprocess.Popen(
            [SOHOA, "serve", "--port", str(port)], env=env, stdout=out, stderr=out, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
        if server.poll() is not None:
            break
    pytest.fail("sohoa serve did not start:\n" + log.read_text()[-3000:])
