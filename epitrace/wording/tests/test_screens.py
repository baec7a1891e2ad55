"""The wording screens through the front door, with administrators on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from epitrace.audit.models import AuditEvent
from epitrace.outreach.rendering import render
from epitrace.wording.models import MessageWording
from epitrace.wording.tests.conftest import Admins

pytestmark = pytest.mark.django_db
LINK = "https://portal.example.org/p/abc/"
OWN = "{{ sender }}: LHD A asks you to fill in a short form: {{ link }} Reply STOP to opt out."


def _url(jurisdiction: Any, rest: str = "") -> str:
    return f"/wording/{jurisdiction.pk}/sms/self_interview/en/{rest}"


def test_staff_without_the_capability_see_no_wording_pages(client: Any, personas: Any) -> None:
    client.force_login(personas.a.tracer)
    assert client.get("/wording/").status_code == 404
    assert client.get(_url(personas.a.jurisdiction)).status_code == 404


def test_an_lhd_admin_lists_only_their_own_department(
    client: Any, personas: Any, admins: Admins
) -> None:
    client.force_login(admins.a)
    page = client.get("/wording/").content.decode()
    assert "LHD A Health Department" in page
    assert "LHD B Health Department" not in page
    assert "Português" in page or "Portuguese" in page
    wanted = f"/wording/?jurisdiction={personas.b.jurisdiction.pk}"
    assert client.get(wanted).status_code == 404


def test_an_lhd_admin_cannot_touch_another_departments_wording(
    client: Any, personas: Any, admins: Admins
) -> None:
    b = personas.b.jurisdiction
    client.force_login(admins.b)
    assert client.post(_url(b), {"body": OWN}).status_code == 302
    theirs = MessageWording.objects.get(jurisdiction=b)
    client.force_login(admins.a)
    assert client.get(_url(b)).status_code == 404
    assert client.post(_url(b), {"body": OWN}).status_code == 404
    assert client.post(_url(b, "preview/"), {"body": OWN}).status_code == 404
    assert client.post(_url(b, "revert/")).status_code == 404
    start = f"/wording/start/?jurisdiction={b.pk}&message=sms/self_interview&language=es"
    assert client.get(start).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    assert theirs.updated_by == admins.b


def test_a_missing_message_or_language_is_404(client: Any, personas: Any, admins: Admins) -> None:
    client.force_login(admins.a)
    a = personas.a.jurisdiction.pk
    assert client.get(f"/wording/{a}/sms/no_such_message/en/").status_code == 404
    assert client.get(f"/wording/{a}/sms/self_interview/xx/").status_code == 404
    assert client.get(f"/wording/{a}/fax/self_interview/en/").status_code == 404
    assert client.get("/wording/999999/sms/self_interview/en/").status_code == 404


def test_the_editor_starts_from_the_default_in_the_language(
    client: Any, personas: Any, admins: Admins
) -> None:
    client.force_login(admins.a)
    page = client.get(f"/wording/{personas.a.jurisdiction.pk}/sms/daily_checkin/es/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "consulta diaria" in html
    assert "{% if link %}" in html  # the optional part stays optional
    assert "Uses the default wording." in html


def test_saving_an_override_is_audited_and_used_for_that_department_only(
    client: Any, personas: Any, admins: Admins
) -> None:
    a, b = personas.a.jurisdiction, personas.b.jurisdiction
    client.force_login(admins.a)
    answer = client.post(_url(a), {"body": OWN})
    assert answer.status_code == 302
    row = MessageWording.objects.get(jurisdiction=a, template="self_interview", language="en")
    assert row.updated_by == admins.a
    assert row.active
    event = AuditEvent.objects.get(object_type="wording.messagewording", action="create")
    assert event.object_id == str(row.pk)
    mine = render("sms", "self_interview", "en", {"link": LINK}, jurisdiction_id=a.pk)
    assert "LHD A asks you" in mine.body
    assert mine.override_id == row.pk
    other = render("sms", "self_interview", "en", {"link": LINK}, jurisdiction_id=b.pk)
    assert "LHD A" not in other.body
    assert other.override_id is None
    # A Spanish speaker in LHD A still gets the Spanish catalogue, not the English override.
    spanish = render("sms", "self_interview", "es", {"link": LINK}, jurisdiction_id=a.pk)
    assert spanish.language == "es"
    assert spanish.override_id is None


def test_the_nearest_override_up_the_tree_wins(client: Any, personas: Any, admins: Admins) -> None:
    a, b = personas.a.jurisdiction, personas.b.jurisdiction
    client.force_login(admins.state)
    state_text = OWN.replace("LHD A", "The state")
    assert client.post(_url(personas.state), {"body": state_text}).status_code == 302
    client.force_login(admins.a)
    assert client.post(_url(a), {"body": OWN}).status_code == 302
    assert (
        "LHD A asks"
        in render("sms", "self_interview", "en", {"link": LINK}, jurisdiction_id=a.pk).body
    )
    assert (
        "The state asks"
        in render("sms", "self_interview", "en", {"link": LINK}, jurisdiction_id=b.pk).body
    )
    # A language with no catalogue falls back to English, overrides included.
    creole = render("sms", "self_interview", "ht", {"link": LINK}, jurisdiction_id=b.pk)
    assert creole.language == "en"
    assert "The state asks" in creole.body
    page = client.get(_url(a)).content.decode()
    assert "Own wording" in page
    client.force_login(admins.b)
    assert "Uses the wording of" in client.get(_url(b)).content.decode()


def test_a_department_can_add_a_language_the_catalogue_lacks(
    client: Any, personas: Any, admins: Admins
) -> None:
    a = personas.a.jurisdiction
    client.force_login(admins.a)
    start = f"/wording/start/?jurisdiction={a.pk}&message=sms/self_interview&language=ht"
    answer = client.get(start)
    assert answer.status_code == 302
    assert answer["Location"].endswith("/sms/self_interview/ht/")
    body = (
        "{{ sender }}: tanpri ranpli yon ti fòm konfidansyèl: {{ link }} "
        "Reponn STOP pou w pa resevwa mesaj ankò."
    )
    assert client.post(answer["Location"], {"body": body}).status_code == 302
    rendered = render("sms", "self_interview", "ht", {"link": LINK}, jurisdiction_id=a.pk)
    assert rendered.language == "ht"
    assert "tanpri" in rendered.body


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{{ sender }}: please fill in a short form. Reply STOP to opt out.", "Keep {{ link }}"),
        ("Please fill in a form: {{ link }}", "Start an SMS with {{ sender }}"),
        ("{{ sender }}: until {{ end_date }}: {{ link }}", "may not carry personal details"),
        ("{{ sender }}: {{ link }} {{ first_name }}", "Unknown placeholders"),
        ("{{ sender }}: your COVID form {{ link }}", "about an illness"),
        ("{{ sender }}: {{ link }} {% include 'base.html' %}", "is not allowed"),
        ("{{ sender }}: {{ link }} {% load static %}", "is not allowed"),
        ("{{ sender }}: {{ link|upper }}", "is not a placeholder"),
        ("{{ sender }}: {{ request.user }} {{ link }}", "is not a placeholder"),
        ("{{ sender }}: {% if link %}{{ link }}", "is not closed"),
    ],
)
def test_wording_that_breaks_the_rules_is_refused(
    client: Any, personas: Any, admins: Admins, body: str, error: str
) -> None:
    client.force_login(admins.a)
    page = client.post(_url(personas.a.jurisdiction), {"body": body})
    assert page.status_code == 200
    assert error in page.content.decode().replace("&#x27;", "'")
    assert not MessageWording.objects.exists()
    assert not AuditEvent.objects.filter(object_type="wording.messagewording").exists()


def test_an_email_keeps_its_subject_and_may_use_the_end_date(
    client: Any, personas: Any, admins: Admins
) -> None:
    a = personas.a.jurisdiction
    client.force_login(admins.a)
    url = f"/wording/{a.pk}/email/contact_notification/en/"
    body = (
        "Hello,\n\n{{ sender }} has news for you: {{ link }}\n"
        "{% if end_date %}Stay home until {{ end_date }}.{% endif %}\n\n{{ sender }}"
    )
    assert b"An e-mail needs a subject" in client.post(url, {"subject": "", "body": body}).content
    assert client.post(url, {"subject": "News from {{ sender }}", "body": body}).status_code == 302
    import datetime as dt

    rendered = render(
        "email",
        "contact_notification",
        "en",
        {"link": LINK, "end_date": dt.date(2026, 3, 14)},
        jurisdiction_id=a.pk,
    )
    assert rendered.subject.startswith("News from ")
    assert "Stay home until March 14, 2026." in rendered.body


def test_the_preview_renders_sample_values_and_warns_on_length(
    client: Any, personas: Any, admins: Admins
) -> None:
    client.force_login(admins.a)
    url = _url(personas.a.jurisdiction, "preview/")
    short = client.post(url, {"body": "{{ sender }}: {{ link }}"}).content.decode()
    assert "/p/Zx81Qp" in short
    assert "GSM-7" in short
    assert "1 SMS part" in short
    long = client.post(
        url, {"body": "{{ sender }}: " + "word " * 40 + "{{ link }}"}
    ).content.decode()
    assert "sent as 2 parts" in long
    accented = client.post(url, {"body": "{{ sender }}: más información aquí {{ link }}"})
    assert "UCS-2" in accented.content.decode()
    assert "(70 fit in one)" in accented.content.decode()
    assert not MessageWording.objects.exists()


def test_revert_goes_back_to_the_default_and_is_audited(
    client: Any, personas: Any, admins: Admins
) -> None:
    a = personas.a.jurisdiction
    client.force_login(admins.a)
    client.post(_url(a), {"body": OWN})
    assert client.post(_url(a, "revert/")).status_code == 302
    row = MessageWording.objects.get()
    assert not row.active
    assert row.body == OWN
    assert AuditEvent.objects.filter(
        object_type="wording.messagewording", action="update", reason__contains="reverted"
    ).exists()
    rendered = render("sms", "self_interview", "en", {"link": LINK}, jurisdiction_id=a.pk)
    assert rendered.override_id is None
    assert "LHD A" not in rendered.body
    assert client.get(_url(a, "revert/")).status_code == 405


def test_wording_changed_behind_the_screens_is_refused_not_sent(
    personas: Any, admins: Admins
) -> None:
    from epitrace.wording.text import WordingSyntaxError

    MessageWording.objects.create(
        jurisdiction=personas.a.jurisdiction,
        channel="sms",
        template="self_interview",
        language="en",
        body="{{ sender }} {% debug %} {{ link }}",
        updated_by=admins.a,
    )
    with pytest.raises(WordingSyntaxError):
        render(
            "sms",
            "self_interview",
            "en",
            {"link": LINK},
            jurisdiction_id=personas.a.jurisdiction.pk,
        )


def test_the_sidebar_offers_the_wording_to_administrators(
    client: Any, personas: Any, admins: Admins
) -> None:
    client.force_login(admins.a)
    assert 'href="/wording/"' in client.get("/wording/").content.decode()


def test_a_queued_message_uses_the_persons_department_wording(
    client: Any, personas: Any, admins: Admins
) -> None:
    from epitrace.outreach.services import enqueue

    client.force_login(admins.a)
    assert client.post(_url(personas.a.jurisdiction), {"body": OWN}).status_code == 302
    context = {"link": LINK}
    mine = enqueue(
        "sms", "self_interview", person=personas.a.person, address="+18605550111", context=context
    )
    theirs = enqueue(
        "sms", "self_interview", person=personas.b.person, address="+18605550222", context=context
    )
    assert "LHD A asks you" in mine.body
    assert "LHD A" not in theirs.body
