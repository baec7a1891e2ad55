"""No view, API or export reaches personal data except through restrict().

A source check in the spirit of Zulip's lint rule "use access_message()":
the cross-jurisdiction tests catch a bypass only on the paths they run,
this catches it on every line of every module that answers a request.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PERSONAL = (
    "Person",
    "ContactPoint",
    "PersonIdentifier",
    "Case",
    "Exposure",
    "LabResult",
    "RawMessage",
    "WorkItem",
    "Interview",
    "CallAttempt",
    "OutboxMessage",
    "InboundMessage",
    "CheckInAnswer",
    "PortalLink",
)
_MODELS = "|".join(PERSONAL)
FORBIDDEN = [
    # Model.objects.<anything but restrict, or of_person which restricts>
    re.compile(rf"\b({_MODELS})\.objects\.(?!restrict\(|of_person\()\w+"),
    # managers that skip the restricted one
    re.compile(rf"\b({_MODELS})\.(_default_manager|_base_manager)\b"),
    # shortcuts handed a model class instead of a restricted queryset
    re.compile(rf"\bget_(object|list)_or_404\(\s*({_MODELS})\s*[,)]"),
    # raw SQL through a personal model's manager
    re.compile(rf"\b({_MODELS})\.objects\.restrict\([^)]*\)\.(raw|extra)\("),
]


def request_modules() -> list[Path]:
    """Every module that answers a request: views, API, exports."""
    found: set[Path] = set()
    for pattern in (
        "**/views.py",
        "**/views/*.py",
        "**/api/*.py",
        "**/exports.py",
        "**/exports/*.py",
    ):
        found.update(ROOT.glob(f"epitrace/{pattern}"))
    return sorted(p for p in found if "tests" not in p.parts and p.name != "__init__.py")


@pytest.mark.parametrize("path", request_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_personal_data_is_reached_only_through_restrict(path: Path) -> None:
    source = path.read_text()
    for pattern in FORBIDDEN:
        match = pattern.search(source)
        line = source[: match.start()].count("\n") + 1 if match else 0
        assert match is None, f"{path.name}:{line}: {match.group(0) if match else ''}"


def test_the_check_covers_the_request_modules() -> None:
    names = {str(p.relative_to(ROOT)) for p in request_modules()}
    assert "epitrace/web/views/cases.py" in names
    assert "epitrace/api/views.py" in names
    assert "epitrace/audit/views.py" in names


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("Case.objects.get(pk=1)", True),
        ('Case.objects.restrict(user, "view")', False),
        ("Person._base_manager.all()", True),
        ("get_object_or_404(Person, pk=pk)", True),
        ("get_object_or_404(people, pk=pk)", False),
    ],
)
def test_the_check_tells_bad_from_good(source: str, bad: bool) -> None:
    assert any(p.search(source) for p in FORBIDDEN) is bad
