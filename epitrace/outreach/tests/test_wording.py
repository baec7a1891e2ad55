"""Every message wording, in every language: the SMS rules, and languages as translation files."""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from epitrace.outreach import rendering
from epitrace.outreach.choices import Purpose
from epitrace.outreach.inbound import classify
from epitrace.outreach.rendering import (
    ROOT,
    default_source,
    languages,
    placeholders,
    render,
    templates,
)
from epitrace.outreach.services import enqueue
from epitrace.testing import factories as f
from epitrace.wording.checks import HEALTH

LINK = "https://portal.example.org/p/Zx81QpT3vKw9LmN2aB7cYd4EfG6hJk8MnP0rS2tU5wX/"
SENDER = "Springfield Health Department"
SMS = [(name, code) for name in templates("sms") for code in languages("sms", name)]
EMAIL = [(name, code) for name in templates("email") for code in languages("email", name)]
# Only a code is sent for self-enrolment, to the phone being verified.
SMS_ONLY = {Purpose.HELP_REPLY, Purpose.ENROL_CODE}
KEYWORD = re.compile(r"\b[A-ZÁÉÍÓÚÃÕÇÑ]{2,}\b")


def test_every_shipped_purpose_has_english_and_spanish_sms() -> None:
    for purpose in Purpose.values:
        assert {"en", "es"} <= set(languages("sms", purpose)), purpose


def test_every_purpose_but_the_sms_only_ones_has_english_and_spanish_email() -> None:
    for purpose in set(Purpose.values) - SMS_ONLY:
        assert {"en", "es"} <= set(languages("email", purpose)), purpose


def test_one_template_per_channel_and_purpose_not_one_per_language() -> None:
    for channel in ("sms", "email"):
        for path in (ROOT / channel).glob("*.txt"):
            if path.name.startswith(f"{Purpose.ENROL_CODE}."):
                continue  # the portal's enrolment code, worded apart
            assert path.name.count(".") == (2 if path.name.endswith(".subject.txt") else 1), path


@pytest.mark.parametrize(("name", "code"), SMS, ids=[f"{n}.{c}" for n, c in SMS])
def test_an_sms_carries_no_health_information(settings: Any, name: str, code: str) -> None:
    settings.EPITRACE_OUTREACH_SENDER_NAME = SENDER
    rendered = render("sms", name, code, {"link": LINK, "code": "482913"})
    assert rendered.language == code
    assert rendered.body.startswith(f"{SENDER}:")
    found = HEALTH.search(rendered.body.replace(SENDER, "").replace(LINK, ""))
    assert found is None, f"{name}.{code}: {found.group(0) if found else ''!r} in {rendered.body!r}"
    assert "\n" not in rendered.body
    assert not placeholders("sms", name).allowed & rendering.PERSONAL
    if "link" in placeholders("sms", name).required:
        assert LINK in rendered.body  # the point of the message is its link
    # At most two GSM-7 segments' worth, whatever the language.
    assert len(rendered.body) <= 2 * 153


@pytest.mark.parametrize(("name", "code"), SMS, ids=[f"{n}.{c}" for n, c in SMS])
def test_every_keyword_an_sms_asks_for_is_understood(name: str, code: str) -> None:
    """ "Reply SIM or NÃO" is no use if a reply SIM lands in the staff's queue."""
    body = render("sms", name, code, {"link": LINK, "code": "482913"}).body
    asked = set(KEYWORD.findall(body.replace(SENDER, "")))
    for word in asked:
        assert classify(word) != "other", f"{name}.{code} asks for {word!r}"


@pytest.mark.parametrize(("name", "code"), EMAIL, ids=[f"{n}.{c}" for n, c in EMAIL])
def test_an_email_is_signed_and_carries_its_link(settings: Any, name: str, code: str) -> None:
    settings.EPITRACE_OUTREACH_SENDER_NAME = SENDER
    end = dt.date(2026, 3, 14)
    rendered = render("email", name, code, {"link": LINK, "end_date": end})
    assert rendered.language == code
    assert SENDER in rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.body.endswith(SENDER)
    assert "{" not in rendered.body
    assert "%(" not in rendered.body
    if "link" in placeholders("email", name).required:
        assert LINK in rendered.body
    if "end_date" in placeholders("email", name).allowed:
        assert "14" in rendered.body
        assert "2026" in rendered.body


def test_the_check_catches_health_words() -> None:
    assert HEALTH.search("Your COVID test was positive")
    assert HEALTH.search("Su prueba salió positiva")
    assert HEALTH.search("Você está em quarentena")
    assert not HEALTH.search("Do you feel sick today? Reply YES or NO.")


def test_spanish_and_portuguese_come_from_the_catalogue() -> None:
    es = render("sms", "self_interview", "es", {"link": LINK})
    pt = render("sms", "self_interview", "pt", {"link": LINK})
    assert "formulario" in es.body
    assert "Responda STOP" in es.body
    assert "formulário" in pt.body
    assert "não receber" in pt.body
    assert es.language == "es"
    assert pt.language == "pt"


def test_a_regional_code_uses_its_language() -> None:
    assert render("sms", "self_interview", "pt-BR", {"link": LINK}).language == "pt"
    assert render("sms", "self_interview", "ES", {"link": LINK}).language == "es"


def test_a_language_without_a_catalogue_falls_back_to_english() -> None:
    rendered = render("sms", "self_interview", "ht", {"link": LINK})
    assert rendered.language == "en"
    assert "please fill in a short confidential form" in rendered.body


def test_a_missing_template_says_so() -> None:
    with pytest.raises(rendering.TemplateMissing):
        render("sms", "no_such_message", "en", {})


def test_the_default_source_keeps_placeholders_and_conditions() -> None:
    subject, body = default_source("sms", "daily_checkin", "es")
    assert subject == ""
    assert body.startswith("{{ sender }}: consulta diaria.")
    assert "{% if link %}" in body
    assert "{{ link }}" in body
    assert "{% endif %}" in body
    subject, body = default_source("email", "contact_notification", "pt")
    assert subject == "Uma mensagem importante de {{ sender }}"
    assert "{% if end_date %}" in body


# --- A language is only a translation file ---------------------------------------------------


def _write_mo(path: Path, messages: dict[str, str]) -> None:
    """A compiled catalogue, written as GNU msgfmt does (no gettext tools needed)."""
    catalog = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(catalog)
    ids = [k.encode() for k in keys]
    strs = [catalog[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    offsets, blob = [], b""
    for data in ids + strs:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\0"
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    table = b"".join(struct.pack("ii", *pair) for pair in offsets)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + table + blob)


@pytest.fixture
def polish(settings: Any, tmp_path: Path) -> Iterator[None]:
    """A Polish catalogue for the self-interview SMS only, in a second locale folder."""
    _write_mo(
        tmp_path / "pl" / "LC_MESSAGES" / "django.mo",
        {
            "%(sender)s: please fill in a short confidential form: %(link)s": (
                "%(sender)s: prosimy o wypełnienie krótkiego, poufnego formularza: %(link)s"
            ),
            "Reply STOP to opt out.": "Odpowiedz STOP, aby zrezygnować.",
        },
    )
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path]
    _forget()
    yield
    settings.LOCALE_PATHS = settings.LOCALE_PATHS[:-1]
    _forget()


def _forget() -> None:
    for cached in (rendering._languages, rendering.catalogue_languages):
        cached.cache_clear()


def test_a_new_catalogue_is_a_new_language_for_what_it_translates(polish: None) -> None:
    assert "pl" in languages("sms", "self_interview")
    rendered = render("sms", "self_interview", "pl", {"link": LINK})
    assert rendered.language == "pl"
    assert "poufnego formularza" in rendered.body
    assert "zrezygnować" in rendered.body
    # Half a translation is no translation: the check-in goes out whole, in English.
    assert "pl" not in languages("sms", "daily_checkin")
    assert render("sms", "daily_checkin", "pl", {}).language == "en"


@pytest.mark.django_db
def test_a_portuguese_speaker_gets_portuguese_with_no_code_for_it(personas: Any) -> None:
    person = f.PersonFactory.create(jurisdiction=personas.a.jurisdiction, preferred_language="pt")
    sms = enqueue(
        "sms", "self_interview", person=person, address="+18605550177", context={"link": LINK}
    )
    mail = enqueue(
        "email", "closing", person=person, address="maria@example.org", context={"link": LINK}
    )
    assert (sms.language, mail.language) == ("pt", "pt")
    assert "preencha um formulário" in sms.body
    assert mail.subject.startswith("Um agradecimento de")
