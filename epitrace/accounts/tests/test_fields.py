from epitrace.accounts.fields import shows_field
from epitrace.testing import factories as f
from epitrace.testing.personas import Personas


def test_analyst_sees_no_direct_identifier(personas: Personas) -> None:
    analyst = f.UserFactory.create()
    f.MembershipFactory.create(user=analyst, jurisdiction=personas.state, role="analyst")
    assert not shows_field(analyst, "people.person", "family_name")
    assert shows_field(analyst, "people.person", "sex")
    assert shows_field(personas.a.tracer, "people.person", "family_name")


def test_referral_roles_see_only_referral_fields(personas: Personas) -> None:
    cbo = f.UserFactory.create()
    f.MembershipFactory.create(
        user=cbo, jurisdiction=personas.a.jurisdiction, role="cbo_coordinator"
    )
    assert shows_field(cbo, "people.person", "family_name")
    assert not shows_field(cbo, "people.person", "birth_date")


def test_a_second_role_widens_what_is_shown(personas: Personas) -> None:
    user = f.UserFactory.create()
    f.MembershipFactory.create(user=user, jurisdiction=personas.state, role="analyst")
    f.MembershipFactory.create(user=user, jurisdiction=personas.a.jurisdiction, role="tracer")
    assert shows_field(user, "people.person", "family_name")
