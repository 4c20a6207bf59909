"""What the package routes and commands share: this installation's key that seals the packages it exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sohoa import signatures
from sohoa.api.settings import Settings
from sohoa.errors import BadInput

if TYPE_CHECKING:
    from pyhanko.sign.signers.pdf_cms import Signer


def installation_signer(settings: Settings) -> Signer:
    """The key that signs exported packages (SOHOA_PACKAGE_KEY); BadInput when none is configured."""
    path = settings.installation_key
    if not path.is_file():
        raise BadInput(
            "Chưa cấu hình khóa ký gói hồ sơ của hệ thống (SOHOA_PACKAGE_KEY)",
            "no package signing key configured for this installation (SOHOA_PACKAGE_KEY)",
        )
    return signatures.load_pkcs12(path, settings.package_key_passphrase.get_secret_value() or None)
