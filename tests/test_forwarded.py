"""Who the client is, against a real `sohoa serve`: X-Forwarded-For is believed only from the proxies named in
SOHOA_TRUSTED_PROXIES, so a rotating header neither slips past the login throttle nor writes a made-up
address into the audit trail; and a stranger's wrong passwords cannot lock a user out of an address they
have signed in from before."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sohoa.records.access import AuditAction, AuditEvent
from sohoa.storage.filesystem import FilesystemStore

SOHOA = str(Path(sys.executable).parent / "sohoa")
PASSWORD = "mật-khẩu-đủ-dài-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data: Path, trusted: str) -> Iterator[str]:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_TRUSTED_PROXIES": trusted,
        "SOHOA_LOGIN_ATTEMPTS": "3",
        "SOHOA_WORKERS": "1",
    }
    add = subprocess.run(
        [SOHOA, "users", "add", "officer", "--role", "officer", "--agency", "H29", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert add.returncode == 0, add.stderr
    port = _free_port()
    server = subprocess.Popen(
        [SOHOA, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"sohoa serve did not start: {server.stderr.read() if server.stderr else ''}")
        yield base
    finally:
        server.kill()
        server.wait(timeout=30)


@pytest.fixture
def untrusting(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from ((base, tmp_path / "data") for base in _serve(tmp_path / "data", ""))


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from ((base, tmp_path / "data") for base in _serve(tmp_path / "data", "127.0.0.1"))


def _login(base: str, password: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    r = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"username": "officer", "password": password},
        headers=headers,
        timeout=30,
    )
    return r.status_code


def _logins(data: Path) -> list[AuditEvent]:
    store = FilesystemStore(data / "store")
    events = [AuditEvent.model_validate_json(store.get_bytes(k)) for k in store.list("audit/")]
    return [e for e in events if e.action in (AuditAction.LOGIN, AuditAction.LOGIN_FAILED)]


def test_a_rotating_forwarded_header_from_an_untrusted_peer_changes_nothing(
    untrusting: tuple[str, Path],
) -> None:
    base, data = untrusting
    codes = [_login(base, "wrong", forwarded=f"203.0.113.{n}") for n in range(1, 6)]
    assert codes == [401, 401, 401, 429, 429]  # the per-address limit (3) holds whatever the header says
    assert {e.client for e in _logins(data)} == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_forwarded_client_counts_and_a_stranger_cannot_lock_a_user_out(
    behind_proxy: tuple[str, Path],
) -> None:
    base, data = behind_proxy
    assert _login(base, PASSWORD, forwarded="198.51.100.7") == 200  # the officer's usual address
    # A stranger guessing from many addresses: the per-user limit stops them.
    strangers = [_login(base, "guess", forwarded=f"203.0.113.{n}") for n in range(1, 6)]
    assert strangers == [401, 401, 401, 429, 429]
    # ... and anyone else trying that user from a new address, even with the right password,
    assert _login(base, PASSWORD, forwarded="192.0.2.99") == 429
    # but not the officer at the address they signed in from before.
    assert _login(base, PASSWORD, forwarded="198.51.100.7") == 200
    clients = {e.client for e in _logins(data)}
    assert {"198.51.100.7", "203.0.113.1", "192.0.2.99"} <= clients and "127.0.0.1" not in clients
