"""Settings as the environment gives them: a value left empty in an env file."""

from __future__ import annotations

from pathlib import Path

from sohoa.api.settings import Settings


def test_an_empty_secret_key_setting_means_the_kept_key_not_an_empty_one(tmp_path: Path) -> None:
    from sohoa.api.backends import load_secret

    settings = Settings(data_dir=tmp_path, secret_key="")  # type: ignore[arg-type]
    assert settings.secret_key is None
    key = load_secret(settings)
    assert len(key) == 32 and key == (tmp_path / "secret.key").read_bytes()
