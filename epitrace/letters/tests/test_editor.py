"""The template editor: for state administrators only, checked wording, a growing history."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from epitrace.accounts.models import User
from epitrace.accounts.testing import StaffClient
from epitrace.audit.models import AuditEvent
from epitrace.letters.models import LetterTemplate, LetterTemplateVersion
from epitrace.letters.tests.conftest import flat, pdf_text
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


def template(kind: str = "isolation", language: str = "en") -> LetterTemplate:
    return LetterTemplate.objects.get(kind=kind, language=language)


def edit_url(pk: int) -> str:
    return reverse("letters:template_edit", args=[pk])


def form_data(tpl: LetterTemplate, **changes: object) -> dict[str, object]:
    current = tpl.current_version()
    assert current is not None
    data: dict[str, object] = {
        "title": current.title,
        "body": current.body,
        "note": "",
        "based_on": current.number,
    }
    return data | changes


@pytest.mark.django_db
def test_the_list_shows_every_kind_and_language(state_admin: User, client: Client) -> None:
    client.force_login(state_admin)
    response = client.get(reverse("letters:template_list"))
    assert response.status_code == 200
    body = response.content.decode()
    # One link per template (the navigation links the list itself).
    assert len(re.findall(r'href="/letters/templates/\d+/', body)) == 24
    for title in ("Notice of home isolation", "居家检疫通知", "انتهاء العزل أو الحجر الصحي"):
        assert title in body
    assert "Shipped with Epitrace" in body


@pytest.mark.django_db
def test_the_editor_shows_the_wording_placeholders_and_a_preview(
    state_admin: User, client: Client
) -> None:
    tpl = template("quarantine", "ar")
    client.force_login(state_admin)
    response = client.get(edit_url(tpl.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "إشعار بالحجر الصحي المنزلي" in body
    assert 'dir="rtl"' in body
    assert "{quarantine_end}" in body
    assert "{isolation_end}" not in body
    assert f'src="{reverse("letters:template_preview", args=[tpl.pk])}#view=FitH' in body
    assert (
        "object-src 'none'" in response["Content-Security-Policy"]
    )  # the PDF viewer needs no more
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_saving_adds_a_version_and_audits_it(state_admin: User, client: Client) -> None:
    tpl = template()
    client.force_login(state_admin)
    data = form_data(tpl, title="Notice of isolation at home", note="Plainer title")
    response = client.post(edit_url(tpl.pk), data)
    assert response.status_code == 302
    versions = list(tpl.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].title == "Notice of isolation at home"
    assert versions[1].created_by == state_admin
    assert versions[0].title == "Notice of home isolation"  # the history keeps it
    event = AuditEvent.objects.get(action="update", object_type="letters.lettertemplate")
    assert event.actor_id == state_admin.pk
    assert event.payload.data == {"version": 2, "note": "Plainer title"}


@pytest.mark.django_db
def test_an_unknown_placeholder_is_a_field_error_naming_it(
    state_admin: User, client: Client
) -> None:
    tpl = template()
    client.force_login(state_admin)
    data = form_data(tpl, body="Dear {person_name}, call {health_dept_phone}.")
    response = client.post(edit_url(tpl.pk), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["body"]
    assert "Unknown placeholder {health_dept_phone}" in errors["body"][0]
    assert "{health_dept_phone}" in response.content.decode()
    assert tpl.versions.count() == 1


@pytest.mark.django_db
def test_a_placeholder_of_another_kind_is_a_field_error(state_admin: User, client: Client) -> None:
    tpl = template("isolation", "es")
    client.force_login(state_admin)
    response = client.post(edit_url(tpl.pk), form_data(tpl, title="Hasta {quarantine_end}"))
    assert "{quarantine_end}" in response.context["form"].errors["title"][0]


@pytest.mark.django_db
def test_a_character_no_font_has_is_a_field_error(state_admin: User, client: Client) -> None:
    tpl = template()
    client.force_login(state_admin)
    response = client.post(edit_url(tpl.pk), form_data(tpl, body="안녕하세요 {person_name}"))
    [error] = response.context["form"].errors["body"]
    assert "U+C548 HANGUL SYLLABLE AN" in error


@pytest.mark.django_db
def test_a_version_saved_meanwhile_is_not_overwritten(state_admin: User, client: Client) -> None:
    tpl = template()
    client.force_login(state_admin)
    stale = form_data(tpl, title="Mine")
    client.post(edit_url(tpl.pk), form_data(tpl, title="Theirs"))
    response = client.post(edit_url(tpl.pk), stale)
    assert response.status_code == 200
    assert "Version 2 was saved while you were editing" in response.content.decode()
    current = tpl.current_version()
    assert current is not None
    assert current.title == "Theirs"


@pytest.mark.django_db
def test_saving_unchanged_wording_adds_nothing(state_admin: User, client: Client) -> None:
    tpl = template()
    client.force_login(state_admin)
    response = client.post(edit_url(tpl.pk), form_data(tpl))
    assert "Nothing changed" in response.content.decode()
    assert tpl.versions.count() == 1


@pytest.mark.django_db
def test_the_preview_is_a_sample_pdf_of_the_wording_being_typed(
    state_admin: User, client: Client
) -> None:
    tpl = template("release", "pl")
    client.force_login(state_admin)
    url = reverse("letters:template_preview", args=[tpl.pk])
    response = client.post(url, form_data(tpl, title="Koniec izolacji, {person_name}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    text = flat(pdf_text(response.content))
    assert "SAMPLE - invented data, not a real letter" in text
    assert "WZÓR - dane fikcyjne" in text
    assert "Koniec izolacji, Małgorzata Wiśniewska" in text
    assert tpl.versions.count() == 1  # a preview saves nothing


@pytest.mark.django_db
def test_a_preview_of_wrong_wording_lists_the_errors(state_admin: User, client: Client) -> None:
    tpl = template()
    client.force_login(state_admin)
    url = reverse("letters:template_preview", args=[tpl.pk])
    response = client.post(url, form_data(tpl, body="Until {end}"))
    assert response.status_code == 400
    assert "Unknown placeholder {end}" in response.content.decode()


@pytest.mark.django_db
def test_history_and_restore(state_admin: User, client: Client) -> None:
    tpl = template("release", "vi")
    client.force_login(state_admin)
    client.post(edit_url(tpl.pk), form_data(tpl, title="Thư kết thúc cách ly", note="Ngắn hơn"))
    history = client.get(reverse("letters:template_history", args=[tpl.pk]))
    body = history.content.decode()
    assert "Version 2" in body
    assert "Version 1" in body
    assert "Ngắn hơn" in body
    restore = reverse("letters:version_restore", args=[tpl.pk, 1])
    assert restore in body
    assert client.post(restore).status_code == 302
    current = tpl.current_version()
    assert current is not None
    assert current.number == 3
    assert current.title == "Kết thúc cách ly hoặc cách ly kiểm dịch"
    assert current.note == "Restored version 1."
    sample = client.get(reverse("letters:version_preview", args=[tpl.pk, 2]))
    assert "Thư kết thúc cách ly" in flat(pdf_text(sample.content))


@pytest.mark.django_db
def test_letters_use_the_newest_version(state_admin: User, personas: Personas) -> None:
    client = StaffClient()
    tpl = template()
    client.force_login(state_admin)
    client.post(edit_url(tpl.pk), form_data(tpl, title="Stay at home, {person_name}"))
    personas.a.jurisdiction.phone = "+18605550110"
    personas.a.jurisdiction.save(update_fields=["phone"])
    client.force_login(personas.a.tracer)
    response = client.get(reverse("letters:case_letter", args=[personas.a.case.pk, "isolation"]))
    assert "Stay at home, Maria Alvarez" in flat(pdf_text(response.content))
    event = AuditEvent.objects.get(action="export")
    assert event.payload.data["template_version"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["tracer", "epidemiologist", "lhd_director", "user_admin"])
def test_other_roles_find_no_template_pages(role: str, personas: Personas, client: Client) -> None:
    user = f.UserFactory.create()
    f.MembershipFactory.create(user=user, jurisdiction=personas.state, role=role)
    _assert_no_template_pages(client, user)


@pytest.mark.django_db
def test_a_state_administrator_of_a_local_department_finds_none(
    personas: Personas, client: Client
) -> None:
    user = f.UserFactory.create()
    f.MembershipFactory.create(user=user, jurisdiction=personas.a.jurisdiction, role="state_admin")
    _assert_no_template_pages(client, user)


def _assert_no_template_pages(client: Client, user: User) -> None:
    client.force_login(user)
    tpl = template()
    urls = [
        reverse("letters:template_list"),
        edit_url(tpl.pk),
        reverse("letters:template_preview", args=[tpl.pk]),
        reverse("letters:template_history", args=[tpl.pk]),
        reverse("letters:version_preview", args=[tpl.pk, 1]),
        reverse("letters:version_restore", args=[tpl.pk, 1]),
    ]
    for url in urls:
        for method in ("get", "post"):
            assert getattr(client, method)(url, form_data(tpl)).status_code == 404, (method, url)
    assert LetterTemplateVersion.objects.count() == 24
