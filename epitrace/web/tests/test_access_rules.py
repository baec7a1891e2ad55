"""The staff views reach personal data only through restricted querysets.

A source check in the spirit of Zulip's lint rule: a direct
``Case.objects.get(...)`` in a view would bypass jurisdiction scoping, and
the cross-jurisdiction tests only catch it on the paths they exercise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

VIEWS = sorted((Path(__file__).resolve().parent.parent / "views").glob("*.py"))
PERSONAL = (
    "Person",
    "ContactPoint",
    "PersonIdentifier",
    "Case",
    "Exposure",
    "LabResult",
    "RawMessage",
)
UNRESTRICTED = re.compile(r"\b(" + "|".join(PERSONAL) + r")\.objects\.(?!restrict\()\w+")


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_personal_data_queries_start_from_restrict(path: Path) -> None:
    source = path.read_text()
    assert not UNRESTRICTED.findall(source), f"unrestricted query in {path.name}"


def test_the_check_sees_something() -> None:
    assert len(VIEWS) >= 3
    assert UNRESTRICTED.search("Case.objects.get(pk=1)")
    assert not UNRESTRICTED.search('Case.objects.restrict(user, "view")')
