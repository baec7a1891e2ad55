"""Jurisdiction scoping: every personal-data model answers restrict(user, action)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from epitrace.accounts.scope import system_user
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.core.querysets import RestrictedQuerySet
from epitrace.interviews.models import CallAttempt, Interview
from epitrace.labs.models import LabResult, RawMessage
from epitrace.outreach.models import CheckInAnswer, InboundMessage, OutboxMessage
from epitrace.people.models import ContactPoint, Person, PersonIdentifier
from epitrace.portal.models import PortalLink
from epitrace.queues.models import WorkItem
from epitrace.testing import factories as f

PERSONAL = {
    Person,
    ContactPoint,
    PersonIdentifier,
    Case,
    Exposure,
    LabResult,
    RawMessage,
    WorkItem,
    Interview,
    CallAttempt,
    OutboxMessage,
    InboundMessage,
    CheckInAnswer,
    PortalLink,
}


def test_every_personal_model_is_restricted():
    restricted = {
        m for m in apps.get_models() if isinstance(m._default_manager.all(), RestrictedQuerySet)
    }
    assert restricted == PERSONAL
    for model in restricted:
        assert callable(getattr(model, "scope_q", None)), model


@pytest.mark.parametrize(
    ("model", "attr"),
    [(Person, "person"), (Case, "case"), (LabResult, "lab"), (Exposure, "exposure")],
)
def test_tracer_sees_only_own_jurisdiction(personas, model, attr):
    a_record = getattr(personas.a, attr)
    b_record = getattr(personas.b, attr)
    visible = set(model.objects.restrict(personas.b.tracer, "view"))
    assert b_record in visible
    assert a_record not in visible


def test_state_sees_every_lhd(personas):
    cases = set(Case.objects.restrict(personas.state_epi, "view"))
    assert {personas.a.case, personas.b.case} <= cases


def test_contact_points_follow_their_person(personas):
    visible = ContactPoint.objects.restrict(personas.b.tracer, "view")
    assert set(visible.values_list("person_id", flat=True)) <= set(
        Person.objects.restrict(personas.b.tracer, "view").values_list("id", flat=True)
    )
    assert not visible.filter(person=personas.a.person).exists()


def test_anonymous_sees_nothing_and_system_sees_all(personas):
    assert not Case.objects.restrict(AnonymousUser(), "view").exists()
    assert Case.objects.restrict(system_user(), "view").count() == Case.objects.count()


def test_user_without_membership_sees_nothing(personas):
    assert not Person.objects.restrict(f.UserFactory.create(), "view").exists()


def test_a_contact_living_elsewhere_stays_visible_to_the_eliciting_lhd(personas):
    # LHD-A's case names a contact who lives in LHD-B.
    elsewhere = f.PersonFactory.create(jurisdiction=personas.b.jurisdiction)
    f.ExposureFactory.create(case=personas.a.case, contact=elsewhere)
    assert Person.objects.restrict(personas.a.tracer, "view").filter(pk=elsewhere.pk).exists()
    assert Person.objects.restrict(personas.b.tracer, "view").filter(pk=elsewhere.pk).exists()
    # ...but LHD-A does not see the rest of LHD-B.
    assert (
        not Person.objects.restrict(personas.a.tracer, "view")
        .filter(pk=personas.b.person.pk)
        .exists()
    )


def test_referral_roles_reach_no_case(personas):
    coordinator = f.UserFactory.create()
    f.MembershipFactory.create(
        user=coordinator, jurisdiction=personas.a.jurisdiction, role="cbo_coordinator"
    )
    assert not Case.objects.restrict(coordinator, "view").exists()
    assert not Person.objects.restrict(coordinator, "view").exists()


def test_analyst_reads_but_cannot_change(personas):
    analyst = f.UserFactory.create()
    f.MembershipFactory.create(user=analyst, jurisdiction=personas.state, role="analyst")
    assert Case.objects.restrict(analyst, "view").count() == 2
    assert not Case.objects.restrict(analyst, "change").exists()


def test_unprocessed_raw_messages_are_the_states_only(personas):
    message = RawMessage.objects.create(
        format="hl7", source="file", content="MSH|^~\\&|", sha256="0" * 64
    )
    assert RawMessage.objects.restrict(personas.state_epi, "view").filter(pk=message.pk).exists()
    assert not RawMessage.objects.restrict(personas.a.tracer, "view").filter(pk=message.pk).exists()
