"""Every SMS wording, in every language: the link and the sender, no health information."""

from __future__ import annotations

import re

import pytest

from epitrace.outreach.choices import Purpose
from epitrace.outreach.rendering import ROOT, languages, render, templates

LINK = "https://portal.example.org/t/Zx81Qp"
SENDER = "Springfield Health Department"
# Words that would tell whoever sees the phone's screen about an illness,
# a test or a status in English and Spanish (and in the other languages
# that may be added: the disease names are the same).
HEALTH = re.compile(
    r"covid|corona|sars|virus|measles|sarampi|mpox|monkeypox|viruela|"
    r"positiv|negativ|result|\btest|prueba|diagnos|infect|contagi|"
    r"isolat|aislamiento|aislad|quarant|cuarentena|expos|expuest|"
    r"\bcase\b|\bcaso\b|contact tracing|rastreo|outbreak|brote|\blab|clinic|hospital|"
    r"symptom|síntoma|sintoma|fever|fiebre|disease|enfermedad",
    re.IGNORECASE,
)
SMS = [(name, code) for name in templates("sms") for code in languages("sms", name)]


def test_every_shipped_purpose_has_english_and_spanish_sms() -> None:
    for purpose in Purpose.values:
        assert {"en", "es"} <= set(languages("sms", purpose)), purpose


def test_every_purpose_but_the_help_reply_has_english_and_spanish_email() -> None:
    for purpose in set(Purpose.values) - {Purpose.HELP_REPLY}:
        assert {"en", "es"} <= set(languages("email", purpose)), purpose
        for code in ("en", "es"):
            assert (ROOT / "email" / f"{purpose}.{code}.subject.txt").exists()


@pytest.mark.parametrize(("name", "code"), SMS, ids=[f"{n}.{c}" for n, c in SMS])
def test_an_sms_carries_no_health_information(settings: object, name: str, code: str) -> None:
    settings.EPITRACE_OUTREACH_SENDER_NAME = SENDER  # type: ignore[attr-defined]
    rendered = render("sms", name, code, {"link": LINK})
    assert rendered.language == code
    assert rendered.body.startswith(f"{SENDER}:")
    found = HEALTH.search(rendered.body.replace(SENDER, "").replace(LINK, ""))
    assert found is None, f"{name}.{code}: {found.group(0) if found else ''!r} in {rendered.body!r}"
    assert "\n" not in rendered.body
    if name not in {"help_reply", "closing", "daily_checkin"}:
        assert LINK in rendered.body  # the point of the message is its link
    # One or two SMS segments at most, whatever the language (70 UCS-2 characters each).
    assert len(rendered.body) <= 2 * 153


def test_the_check_catches_health_words() -> None:
    assert HEALTH.search("Your COVID test was positive")
    assert HEALTH.search("Su prueba salió positiva")
    assert not HEALTH.search("Do you feel sick today? Reply YES or NO.")
