"""Keys live outside the database: generated in development, required in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from epitrace.audit.keys import Ed25519Signer, keyring
from epitrace.lib.env import ConfigurationError


def test_production_requires_the_keys(audit_settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EPITRACE_AUDIT_KEY", "EPITRACE_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    audit_settings.PRODUCTION = True
    audit_settings.EPITRACE_AUDIT_KEY = None
    with pytest.raises(ConfigurationError, match="EPITRACE_AUDIT_KEY"):
        keyring()


def test_development_generates_and_keeps_keys_in_the_data_dir(
    audit_settings, tmp_path: Path
) -> None:
    audit_settings.DATA_DIR = tmp_path
    audit_settings.EPITRACE_AUDIT_KEY = None
    audit_settings.EPITRACE_AUDIT_SIGNING_KEY = None
    first = keyring()
    assert (tmp_path / "audit_key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "audit_signing_key").exists()
    assert keyring().chain.key_id == first.chain.key_id


def test_keys_can_come_from_files(audit_settings, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "key"
    path.write_text("k" * 40 + "\n")
    audit_settings.EPITRACE_AUDIT_KEY = None
    monkeypatch.setenv("EPITRACE_AUDIT_KEY_FILE", str(path))
    assert keyring().chain.secret == b"k" * 40


def test_short_keys_are_refused(audit_settings) -> None:
    audit_settings.EPITRACE_AUDIT_KEY = "short"
    with pytest.raises(ConfigurationError, match="at least"):
        keyring()


def test_checkpoints_are_signed_with_ed25519(audit_settings) -> None:
    signer = keyring().signer
    assert isinstance(signer, Ed25519Signer)
    signature = signer.sign(b"statement")
    assert signer.verify(b"statement", signature)
    assert not signer.verify(b"another statement", signature)
    assert not signer.verify(b"statement", "not base64!")
