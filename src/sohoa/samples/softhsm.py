"""A SoftHSM2 token for tests and benchmarks: the PKCS#11 interface of an official's USB token, in a
folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sohoa.samples.pki import Issued
from sohoa.signatures import Pkcs11Key

LIBRARY = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "246810"


def make_token(root: Path, label: str, holder: Issued, key_label: str) -> Pkcs11Key:
    """A fresh token holding `holder`'s private key; SOFTHSM2_CONF is pointed at it for this process."""
    (root / "tokens").mkdir(parents=True, exist_ok=True)
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)

    def util(*args: str) -> None:
        subprocess.run(["softhsm2-util", *args], check=True, capture_output=True, text=True, timeout=60)

    util("--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "13579111")
    key_file = holder.key_pkcs8_pem(root / f"{key_label}.key.pem")
    util("--import", str(key_file), "--token", label, "--label", key_label, "--id", "01", "--pin", PIN)
    key_file.unlink()  # the key now lives on the token only
    return Pkcs11Key(LIBRARY, label, key_label, holder.cert_pem(root / f"{key_label}.cert.pem"))
