"""The lab screens' modules reach personal data only through restrict().

The project's source check covers ``views/`` packages and ``api/`` folders;
this package also answers requests from ``api.py`` and shares helpers in
modules of other names, so the same patterns are applied to all of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from epitrace.core.tests.test_access_lint import FORBIDDEN
from epitrace.core.tests.test_crawl import routes

PACKAGE = Path(__file__).resolve().parents[1]


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "tests" not in p.relative_to(PACKAGE).parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_personal_query_skips_restrict(path: Path) -> None:
    source = path.read_text()
    for pattern in FORBIDDEN:
        match = pattern.search(source)
        assert match is None, f"{path.name}: {match.group(0) if match else ''}"


def test_the_package_is_checked() -> None:
    names = {p.name for p in modules()}
    assert {"api.py", "errors.py", "forms.py", "reprocessing.py", "out_of_state.py"} <= names


def test_the_crawl_requests_the_message_page_as_another_jurisdiction() -> None:
    # epitrace/core/tests/test_crawl.py asks every route with an id, every method,
    # as an LHD-B tracer with an LHD-A message id: anything but 404 fails there.
    assert "labs:error_detail" in {route.name for route in routes()}
