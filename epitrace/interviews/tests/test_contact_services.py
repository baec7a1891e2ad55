"""Contact elicitation: persons, residence, matching, quarantine ends, follow-up items."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from epitrace.audit.models import AuditEvent
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.services import do_create_version
from epitrace.interviews import contacts, services
from epitrace.interviews.forms import ContactEntryForm
from epitrace.interviews.models import Interview
from epitrace.interviews.tests.conftest import ISOLATION_END, World, entry
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.people.models import ContactPoint, Person, PossibleDuplicate
from epitrace.queues.choices import Kind, State
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

pytestmark = pytest.mark.django_db

HOUSEHOLD = {"relation": "household", "setting": "household", "ongoing": True}


def add(world: World, **values: object) -> contacts.Elicited:
    return contacts.do_add_contact(world.case, entry(**values), acting_user=world.tracer)


def added(world: World, **values: object) -> Exposure:
    exposure = add(world, **values).exposure
    assert exposure is not None
    return exposure


# --- Quarantine ends from the profile --------------------------------------------------------


def test_a_household_contact_still_exposed_quarantines_from_the_end_of_isolation(
    world: World,
) -> None:
    household = added(
        world, given_name="Ines", last_exposure_date=dt.date(2020, 12, 9), **HOUSEHOLD
    )
    work = added(world, last_exposure_date=dt.date(2020, 12, 6))
    # CDC 2020: 14 days; the household's day 0 is the case's isolation end (12-17).
    assert household.quarantine_end == ISOLATION_END + dt.timedelta(days=14)
    assert work.quarantine_end == dt.date(2020, 12, 20)
    for exposure in (household, work):
        assert exposure.monitoring_status == "monitoring"
        item = WorkItem.objects.get(exposure=exposure)
        assert (item.kind, item.state) == (Kind.NOTIFICATION, State.OPEN)
        assert item.jurisdiction_id == world.case.jurisdiction_id


def test_a_new_profile_version_moves_the_quarantine_ends(
    world: World, profile_2020: DiseaseProfile
) -> None:
    shorter = do_create_version(
        profile_2020,
        effective_from=dt.date(2020, 12, 1),
        key="covid-19-cdc-2020-dec",
        title="COVID-19 (CDC, December 2020 options)",
        parameters={**profile_2020.parameters, "quarantine_days": 10},
        acting_user=world.tracer,
    )
    world.case.profile = shorter
    world.case.save(update_fields=["profile"])
    household = added(
        world, given_name="Ines", last_exposure_date=dt.date(2020, 12, 9), **HOUSEHOLD
    )
    work = added(world, last_exposure_date=dt.date(2020, 12, 6))
    assert household.quarantine_end == dt.date(2020, 12, 27)  # 12-17 + 10
    assert work.quarantine_end == dt.date(2020, 12, 16)  # 12-06 + 10


def test_an_ongoing_exposure_outside_a_household_is_refused() -> None:
    form = ContactEntryForm(
        {
            "given_name": "Luis",
            "family_name": "Ortega",
            "relation": "work",
            "setting": "workplace",
            "last_exposure_date": "2020-12-06",
            "ongoing": "on",
            "language": "en",
        },
        period=None,
    )
    assert not form.is_valid()
    assert form.errors["ongoing"] == ["Only a household contact can still be exposed."]


def test_an_exposure_outside_the_infectious_period_is_refused(world: World) -> None:
    from epitrace.interviews.casedates import infectious_period_of

    data = {
        "given_name": "Luis",
        "family_name": "Ortega",
        "relation": "work",
        "setting": "workplace",
        "language": "en",
    }
    period = infectious_period_of(world.case)
    early = ContactEntryForm({**data, "last_exposure_date": "2020-12-01"}, period=period)
    assert not early.is_valid()
    assert early.errors["last_exposure_date"] == [
        "Outside the infectious period (2020-12-05 to 2020-12-17)."
    ]
    late = ContactEntryForm({**data, "last_exposure_date": "2020-12-20"}, period=period)
    assert not late.is_valid()


# --- Persons and residence -------------------------------------------------------------------


def test_a_phone_is_stored_in_e164_and_a_bad_one_is_explained() -> None:
    base = {
        "given_name": "Luis",
        "family_name": "Ortega",
        "relation": "work",
        "setting": "workplace",
        "last_exposure_date": "2020-12-06",
        "language": "en",
    }
    good = ContactEntryForm({**base, "phone": "(860) 555-0123"}, period=None)
    assert good.is_valid(), good.errors
    assert good.cleaned_data["phone"] == "+18605550123"
    abroad = ContactEntryForm({**base, "phone": "+44 20 7183 8750"}, period=None)
    assert abroad.is_valid()
    assert abroad.cleaned_data["phone"] == "+442071838750"
    bad = ContactEntryForm({**base, "phone": "555-12"}, period=None)
    assert not bad.is_valid()
    assert "is not a phone number" in bad.errors["phone"][0]


def test_a_contact_living_in_another_lhd_belongs_there_and_stays_visible_here(
    world: World,
) -> None:
    lhd_b = world.personas.b
    exposure = added(
        world, phone="+18605550177", street="9 Oak Lane", city="Brookfield", postcode="06301"
    )
    person = exposure.contact
    assert (person.jurisdiction_id, person.town, person.address_status) == (
        lhd_b.jurisdiction.pk,
        world.brookfield,
        "resolved",
    )
    assert person.state == Jurisdiction.objects.root().state_code
    assert exposure.jurisdiction_id == lhd_b.jurisdiction.pk
    # Notified by the LHD of residence; the eliciting LHD keeps sight of both.
    item = WorkItem.objects.get(exposure=exposure)
    assert item.jurisdiction_id == item.queue_id == lhd_b.jurisdiction.pk
    assert Person.objects.restrict(world.tracer, "view").filter(pk=person.pk).exists()
    assert Exposure.objects.restrict(lhd_b.tracer, "view").filter(pk=exposure.pk).exists()
    assert ContactPoint.objects.get(person=person).value == "+18605550177"


def test_a_contact_without_a_known_address_stays_with_the_case(world: World) -> None:
    exposure = added(world, city="Nowhereville")
    assert exposure.contact.address_status == "unknown"
    assert exposure.contact.jurisdiction_id == world.case.jurisdiction_id
    assert exposure.jurisdiction_id == world.case.jurisdiction_id


def test_an_out_of_state_contact_is_flagged_for_forwarding(world: World) -> None:
    exposure = added(world, city="Albany", state="NY")
    person = exposure.contact
    assert person.address_status == "out_of_state"
    assert person.jurisdiction == Jurisdiction.objects.root()
    # The eliciting LHD notifies them until the record is forwarded.
    assert exposure.jurisdiction_id == world.case.jurisdiction_id


def test_a_household_member_without_an_address_shares_the_cases(world: World) -> None:
    exposure = added(world, given_name="Ines", **HOUSEHOLD)
    person = exposure.contact
    home = world.case.person
    assert (person.street, person.city, person.postcode, person.town_id) == (
        home.street,
        home.city,
        home.postcode,
        home.town_id,
    )
    assert person.jurisdiction_id == home.jurisdiction_id
    assert exposure.proximity == "close"


def test_creations_are_audited(world: World) -> None:
    exposure = added(world, phone="+18605550178")
    kinds = set(AuditEvent.objects.filter(action="create").values_list("object_type", flat=True))
    assert {"people.person", "people.contactpoint", "contacts.exposure", "queues.workitem"} <= kinds
    event = AuditEvent.objects.get(action="create", object_type="contacts.exposure")
    assert event.object_id == str(exposure.pk)
    assert event.actor_id == world.tracer.pk


# --- Matching --------------------------------------------------------------------------------


def known_in_b(world: World) -> Person:
    return f.PersonFactory.create(
        jurisdiction=world.personas.b.jurisdiction,
        given_name="Jonathan",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
        city="Brookfield",
        postcode="06301",
        town=world.brookfield,
    )


def test_a_sure_match_out_of_reach_is_linked_without_being_described(world: World) -> None:
    known = known_in_b(world)
    elicited = add(
        world, given_name="Jonathan", family_name="Kowalczyk", birth_date=dt.date(1985, 4, 12)
    )
    assert elicited.exposure is not None
    assert elicited.exposure.contact_id == known.pk
    assert elicited.reused
    assert elicited.hidden
    assert Person.objects.filter(family_name="Kowalczyk").count() == 1
    assert elicited.exposure.jurisdiction_id == world.personas.b.jurisdiction.pk


def test_a_possible_match_is_put_to_the_tracer_showing_only_what_they_may_see(
    world: World,
) -> None:
    hidden = known_in_b(world)
    visible = f.PersonFactory.create(
        jurisdiction=world.case.jurisdiction,
        given_name="Jonathan",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
        city="Hartwell",
    )
    asked = add(world, given_name="Peter", family_name="Kowalczyk", birth_date=dt.date(1985, 4, 12))
    assert asked.exposure is None
    by_id = {c.person_id: c for c in asked.candidates}
    assert set(by_id) == {hidden.pk, visible.pk}
    assert (by_id[visible.pk].visible, by_id[visible.pk].name) == (True, "Jonathan Kowalczyk")
    assert (by_id[hidden.pk].visible, by_id[hidden.pk].name, by_id[hidden.pk].town) == (
        False,
        "",
        "",
    )
    assert not Exposure.objects.filter(case=world.case, contact__family_name="Kowalczyk").exists()


def test_creating_a_new_person_anyway_queues_the_pair_as_possible_duplicates(
    world: World,
) -> None:
    known = known_in_b(world)
    elicited = add(
        world,
        given_name="Peter",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
        decision="new",
    )
    assert elicited.exposure is not None
    new = elicited.exposure.contact
    assert new.pk != known.pk
    pair = PossibleDuplicate.objects.get()
    assert {pair.person_a_id, pair.person_b_id} == {new.pk, known.pk}
    assert pair.source == "contact_entry"


def test_choosing_a_visible_candidate_links_that_person(world: World) -> None:
    visible = f.PersonFactory.create(
        jurisdiction=world.case.jurisdiction,
        given_name="Jonathan",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
    )
    chosen = add(
        world,
        given_name="Peter",
        family_name="Kowalczyk",
        birth_date=dt.date(1985, 4, 12),
        decision=f"person:{visible.pk}",
    )
    assert chosen.exposure is not None
    assert chosen.exposure.contact_id == visible.pk
    assert chosen.reused
    assert not chosen.hidden


def test_a_person_not_offered_cannot_be_chosen(world: World) -> None:
    hidden = known_in_b(world)
    stranger = world.personas.b.person  # exists, but not a candidate of this entry
    for pk in (hidden.pk, stranger.pk):
        with pytest.raises(ValidationError, match="no longer offered"):
            add(
                world,
                given_name="Peter",
                family_name="Kowalczyk",
                birth_date=dt.date(1985, 4, 12),
                decision=f"person:{pk}",
            )
    assert not Exposure.objects.filter(case=world.case).exists()


def test_the_same_person_cannot_be_a_contact_twice(world: World) -> None:
    first = added(
        world, given_name="Jonathan", family_name="Kowalczyk", birth_date=dt.date(1985, 4, 12)
    )
    with pytest.raises(ValidationError, match="already a contact of this case"):
        add(world, given_name="Jonathan", family_name="Kowalczyk", birth_date=dt.date(1985, 4, 12))
    assert Exposure.objects.filter(case=world.case).get() == first


# --- Household members in one click ---------------------------------------------------------


def household(world: World, *rows: dict[str, str], at_home: bool = True) -> Interview:
    body = {
        "changes": {
            "household": {"value": list(rows), "stamp": 1},
            "isolating_at_home": {"value": at_home, "stamp": 1},
        }
    }
    services.do_autosave(world.case, body, acting_user=world.tracer)
    return Interview.objects.get(case=world.case)


def test_a_household_member_becomes_a_contact_in_one_click(world: World) -> None:
    interview = household(
        world, {"key": "m1", "given_name": "Ines", "family_name": "Delgado", "relation": "Spouse"}
    )
    exposure = contacts.do_add_household_contact(
        world.case, interview, "m1", acting_user=world.tracer
    )
    assert (exposure.relation, exposure.setting, exposure.ongoing) == (
        "household",
        "household",
        True,
    )
    # An old case: the exposure ended when the case's isolation did.
    assert exposure.last_exposure_date == ISOLATION_END
    assert exposure.quarantine_end == ISOLATION_END + dt.timedelta(days=14)
    interview.refresh_from_db()
    assert interview.data["household_contacts"] == {"m1": exposure.pk}
    with pytest.raises(ValidationError, match="already a contact"):
        contacts.do_add_household_contact(world.case, interview, "m1", acting_user=world.tracer)


def test_a_minor_is_reached_through_their_guardian(world: World) -> None:
    interview = household(
        world,
        {"key": "dad", "given_name": "Marco", "family_name": "Delgado", "birth_date": "1978-02-02"},
        {
            "key": "kid",
            "given_name": "Tim",
            "family_name": "Delgado",
            "birth_date": "2015-03-01",
            "guardian": "dad",
        },
        {
            "key": "baby",
            "given_name": "Lia",
            "family_name": "Delgado",
            "birth_date": "2019-09-09",
            "guardian": "case",
        },
    )
    kid = contacts.do_add_household_contact(world.case, interview, "kid", acting_user=world.tracer)
    # The guardian was a member not added yet: added first.
    assert kid.contact.guardian is not None
    assert kid.contact.guardian.full_name == "Marco Delgado"
    assert set(interview.data["household_contacts"]) == {"dad", "kid"}
    baby = contacts.do_add_household_contact(
        world.case, interview, "baby", acting_user=world.tracer
    )
    assert baby.contact.guardian == world.case.person


def test_a_case_isolating_away_asks_for_the_last_day_together(world: World) -> None:
    interview = household(
        world, {"key": "m1", "given_name": "Ines", "family_name": "Delgado"}, at_home=False
    )
    with pytest.raises(contacts.NeedsEntry) as asked:
        contacts.do_add_household_contact(world.case, interview, "m1", acting_user=world.tracer)
    assert asked.value.entry["household_row"] == "m1"
    assert asked.value.entry["ongoing"] is False
    assert asked.value.entry["last_exposure_date"] is None
    assert not Exposure.objects.filter(case=world.case).exists()


# --- Corrections ------------------------------------------------------------------------------


def test_a_correction_recomputes_the_quarantine_end_and_is_audited(world: World) -> None:
    exposure = added(world, last_exposure_date=dt.date(2020, 12, 6))
    contacts.do_update_contact(
        exposure, {"last_exposure_date": dt.date(2020, 12, 10)}, acting_user=world.tracer
    )
    exposure.refresh_from_db()
    assert exposure.quarantine_end == dt.date(2020, 12, 24)
    event = AuditEvent.objects.get(action="update", object_type="contacts.exposure")
    assert event.object_id == str(exposure.pk)


def test_removing_a_contact_takes_its_follow_up_and_is_audited(world: World) -> None:
    interview = household(world, {"key": "m1", "given_name": "Ines", "family_name": "Delgado"})
    exposure = contacts.do_add_household_contact(
        world.case, interview, "m1", acting_user=world.tracer
    )
    pk, person = exposure.pk, exposure.contact
    contacts.do_remove_contact(exposure, acting_user=world.tracer)
    assert not Exposure.objects.filter(pk=pk).exists()
    assert not WorkItem.objects.filter(exposure_id=pk).exists()
    assert Person.objects.filter(pk=person.pk).exists()  # the person may be known otherwise
    event = AuditEvent.objects.get(action="delete", object_type="contacts.exposure")
    assert (event.object_id, event.person_id) == (str(pk), person.pk)
    interview.refresh_from_db()
    assert interview.data["household_contacts"] == {}


def test_a_contact_who_became_a_case_stays_in_the_chain(world: World) -> None:
    exposure = added(world)
    exposure.resulting_case = f.CaseFactory.create(person=exposure.contact)
    exposure.save(update_fields=["resulting_case"])
    with pytest.raises(ValidationError, match="transmission chain"):
        contacts.do_remove_contact(exposure, acting_user=world.tracer)
    assert Exposure.objects.filter(pk=exposure.pk).exists()
