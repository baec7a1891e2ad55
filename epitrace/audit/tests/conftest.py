"""Audit test fixtures: fixed keys and a checkpoint file of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

CHAIN_KEY = "test-chain-key-0123456789abcdef0123456789abcdef"
SIGNING_KEY = "test-signing-key-0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def audit_settings(settings: SettingsWrapper, tmp_path: Path) -> SettingsWrapper:
    settings.EPITRACE_AUDIT_KEY = CHAIN_KEY
    settings.EPITRACE_AUDIT_SIGNING_KEY = SIGNING_KEY
    settings.EPITRACE_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    return settings


@pytest.fixture
def checkpoint_file(audit_settings: SettingsWrapper) -> Path:
    return Path(audit_settings.EPITRACE_AUDIT_CHECKPOINT_FILE)
