"""epitrace bench ingest runs the import's own code and reports every figure."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_bench_ingest_reports_its_figures() -> None:
    out = StringIO()
    call_command("bench", "ingest", "--messages", "60", "--persons", "200", "--json", stdout=out)
    figures = json.loads(out.getvalue().splitlines()[-1])
    for key in (
        "parse_msgs_per_s", "pipeline_msgs_per_s", "copy_rows_per_s", "ratio", "peak_rss_mb",
        "persons_matched", "persons_created", "cases_created",
    ):  # fmt: skip
        assert key in figures
    assert figures["pipeline_msgs_per_s"] > 0
    assert figures["persons_matched"] == figures["planted_matches"] > 0
    assert figures["persons_matched"] + figures["persons_created"] == 60
