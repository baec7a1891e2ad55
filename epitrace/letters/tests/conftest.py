"""Letter test fixtures: a state administrator, a fixed day, PDFs read back."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytest_django.fixtures import Settings as SettingsWrapper

from epitrace.accounts.models import User
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.testing import factories as f

TODAY = dt.date(2021, 3, 20)


@pytest.fixture(autouse=True)
def audit_keys(settings: SettingsWrapper, tmp_path: Path) -> None:
    """The audit trail's keys of this test, so no test writes a key file of its own."""
    settings.EPITRACE_AUDIT_KEY = "letters-test-chain-key-0123456789abcdef0123456789"
    settings.EPITRACE_AUDIT_SIGNING_KEY = "letters-test-signing-key-0123456789abcdef012345"
    settings.EPITRACE_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")


@pytest.fixture
def state_admin(db: None) -> User:
    user = f.UserFactory.create(username="state.admin")
    root = Jurisdiction.objects.root()
    f.MembershipFactory.create(user=user, jurisdiction=root, role="state_admin")
    return user


def pdf_text(content: bytes) -> str:
    """The text of every page, as a reader extracts it (pypdf puts NULs between CJK characters)."""
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def flat(text: str) -> str:
    """Whitespace collapsed, bidirectional isolates dropped: line breaks fall anywhere."""
    return re.sub(r"\s+", " ", text.replace("\u2068", "").replace("\u2069", "")).strip()
