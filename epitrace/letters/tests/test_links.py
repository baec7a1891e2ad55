"""The letters include of the case and person pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.people.models import Person
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas
from epitrace.web.views.common import ExposureRow


@pytest.mark.django_db
def test_a_case_offers_its_letters_with_reasons_for_the_missing_ones(personas: Personas) -> None:
    case = personas.a.case  # in isolation until a date still to come
    html = render_to_string("letters/_links.html", {"case": case})
    assert f"Case {case.number}" in html
    assert f'formaction="{reverse("letters:case_letter", args=[case.pk, "isolation"])}"' in html
    assert reverse("letters:case_letter", args=[case.pk, "release"]) not in html
    assert case.isolation_end is not None
    assert f"Isolation lasts until {case.isolation_end.isoformat()}" in html
    assert 'target="_blank"' in html
    assert '<option value="en" selected>English</option>' in html


@pytest.mark.django_db
def test_the_person_page_offers_letters_for_cases_and_exposures(personas: Personas) -> None:
    contact = personas.a.contact
    contact.preferred_language = "ht"
    contact.save(update_fields=["preferred_language"])
    exposure = personas.a.exposure
    Exposure.objects.filter(pk=exposure.pk).update(
        quarantine_end=timezone.localdate() - dt.timedelta(days=1)
    )
    exposure.refresh_from_db()
    own_case = f.CaseFactory.create(person=contact)
    rows = [ExposureRow(exposure, None)]
    html = render_to_string("letters/_links.html", {"cases": [own_case], "exposures": rows})
    assert f"Case {own_case.number}" in html
    assert f"Exposure of {exposure.last_exposure_date.isoformat()}" in html
    for kind in ("quarantine", "release"):
        assert reverse("letters:exposure_letter", args=[exposure.pk, kind]) in html
    assert '<option value="ht" selected>Haitian Creole</option>' in html


@pytest.mark.django_db
def test_nothing_is_shown_without_records() -> None:
    assert render_to_string("letters/_links.html", {}).strip() == ""


@pytest.mark.django_db
def test_the_persons_records_cost_no_query_per_row(
    personas: Personas, django_assert_num_queries
) -> None:
    contact = personas.a.contact
    for _ in range(4):
        f.ExposureFactory.create(contact=contact)
        f.CaseFactory.create(person=contact, episode=Case.objects.count() + 1)
    person = Person.objects.get(pk=contact.pk)
    cases = list(Case.objects.filter(person=person))
    exposures = list(Exposure.objects.filter(contact=person))
    with django_assert_num_queries(0):
        html = render_to_string(
            "letters/_links.html", {"cases": cases, "exposures": exposures, "person": person}
        )
    assert html.count("letters-case-") >= 4
    assert html.count("letters-exposure-") >= 5
