"""Wording shown with sample values, as the person would receive it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from epitrace.outreach import conf
from epitrace.outreach.choices import Channel
from epitrace.outreach.rendering import render_wording
from epitrace.wording.checks import Segments, length_warnings, problems
from epitrace.wording.text import WordingSyntaxError

# As long as a real portal link: /p/ and a 43-character token.
SAMPLE_TOKEN = "Zx81QpT3vKw9LmN2aB7cYd4EfG6hJk8MnP0rS2tU5wX"  # noqa: S105 - opens nothing
SAMPLE_QUARANTINE_DAYS = 14


@dataclass
class Preview:
    subject: str = ""
    body: str = ""
    segments: Segments | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def sample_values() -> dict[str, object]:
    today = timezone.localdate()
    return {
        "link": conf.public_url(f"/p/{SAMPLE_TOKEN}/"),
        "end_date": today + dt.timedelta(days=SAMPLE_QUARANTINE_DAYS),
    }


def preview(channel: str, template: str, language: str, subject: str, body: str) -> Preview:
    found = problems(channel, template, subject, body)
    shown = Preview(errors=found.errors, warnings=found.warnings)
    try:
        rendered = render_wording(channel, language, subject, body, sample_values())
    except WordingSyntaxError:
        return shown  # the error is already listed
    shown.subject, shown.body = rendered.subject, rendered.body
    if channel == Channel.SMS:
        shown.segments, warnings = length_warnings(rendered.body)
        shown.warnings.extend(warnings)
    return shown
