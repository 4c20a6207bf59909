"""Where a signing key lives: a PKCS#12 file of the user's, or a PKCS#11 token (the USB tokens officials
carry; SoftHSM2 in tests). Either way the result is a pyHanko Signer; wrong passphrases, PINs, labels and
files are a BadInput with a message the person at the keyboard can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import Signer

from sohoa.errors import BadInput


def load_pkcs12(path: Path, passphrase: str | None) -> Signer:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"Không đọc được tệp khóa {path.name}", f"cannot read key file {path.name}") from exc
    secret = passphrase.encode() if passphrase else None
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=secret)
    except ValueError:
        raise BadInput(
            "Không mở được khóa ký: sai mật khẩu hoặc tệp không phải PKCS#12",
            "cannot open the signing key: wrong passphrase, or not a PKCS#12 file",
        ) from None


@dataclass(frozen=True)
class Pkcs11Key:
    library: Path  # the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
    token_label: str
    key_label: str
    certificate: Path | None = (
        None  # PEM or DER; when absent, a certificate on the token with the key's label
    )


@contextmanager
def open_pkcs11(key: Pkcs11Key, pin: str) -> Iterator[Signer]:
    """A signer on the token, for the duration of the `with` block (the session is closed after)."""
    import pkcs11  # python-pkcs11: only needed by those who sign with a token

    try:
        session = open_pkcs11_session(
            str(key.library), token_criteria=TokenCriteria(label=key.token_label), user_pin=pin
        )
    except pkcs11.PinIncorrect as exc:
        raise BadInput("Sai mã PIN của thiết bị ký", "wrong PIN for the signing token") from exc
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        raise BadInput(
            f"Không mở được thiết bị ký {key.token_label!r}",
            f"cannot open the signing token {key.token_label!r}: {type(exc).__name__}",
        ) from exc
    try:
        cert = load_cert_from_pemder(str(key.certificate)) if key.certificate else None
        yield PKCS11Signer(
            session,
            key_label=key.key_label,
            signing_cert=cert,
            cert_label=None if cert else key.key_label,
        )
    finally:
        session.close()


def signer_name(cert: x509.Certificate) -> str:
    """The name to show for a certificate: its common name, else the whole subject."""
    try:
        return str(cert.subject.native["common_name"])
    except KeyError:
        return cert.subject.human_friendly
