"""Factories for tests: realistic enough records, built through the real models."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from epitrace.accounts.models import Membership, Team, User
from epitrace.cases.models import Case
from epitrace.contacts.models import Exposure
from epitrace.diseases.models import Disease, DiseaseProfile
from epitrace.jurisdictions.models import Jurisdiction, PostalCode, Town
from epitrace.labs.models import LabResult
from epitrace.people.models import ContactPoint, Person

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test personas only


class JurisdictionFactory(factory.django.DjangoModelFactory[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lhd-{n}")
    name = factory.Sequence(lambda n: f"Health Department {n}")
    kind = "lhd"
    parent = factory.LazyFunction(lambda: Jurisdiction.objects.root())
    state_code = factory.LazyAttribute(lambda o: o.parent.state_code)


class TownFactory(factory.django.DjangoModelFactory[Town]):
    class Meta:
        model = Town

    name = factory.Sequence(lambda n: f"Town {n}")
    state_code = factory.LazyAttribute(lambda o: o.jurisdiction.state_code)
    jurisdiction = factory.SubFactory(JurisdictionFactory)


class PostalCodeFactory(factory.django.DjangoModelFactory[PostalCode]):
    class Meta:
        model = PostalCode

    code = factory.Sequence(lambda n: f"{6100 + n:05d}")
    town = factory.SubFactory(TownFactory)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.replace(".", " ").title())
    email = factory.LazyAttribute(lambda o: f"{o.username}@health.example.org")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    role = "tracer"


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=1, maximum_age=95)
    sex = factory.Iterator(["F", "M"])
    street = factory.Faker("street_address")
    city = "Springfield"
    state = factory.LazyAttribute(lambda o: o.jurisdiction.state_code)
    postcode = "06100"
    address_status = "resolved"
    jurisdiction = factory.SubFactory(JurisdictionFactory)


class ContactPointFactory(factory.django.DjangoModelFactory[ContactPoint]):
    class Meta:
        model = ContactPoint

    person = factory.SubFactory(PersonFactory)
    kind = "phone"
    value = factory.Sequence(lambda n: f"+1860555{n % 10000:04d}")


def covid() -> Disease:
    return Disease.objects.get(code="covid-19")


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    disease = factory.LazyFunction(covid)
    classification = "confirmed"
    jurisdiction = factory.LazyAttribute(lambda o: o.person.jurisdiction)
    report_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    specimen_date = factory.LazyAttribute(lambda o: o.report_date - dt.timedelta(days=2))
    onset_date = factory.LazyAttribute(lambda o: o.specimen_date - dt.timedelta(days=1))
    profile = factory.LazyAttribute(
        lambda o: DiseaseProfile.objects.in_force(o.disease, o.report_date)
    )
    isolation_start = factory.LazyAttribute(lambda o: o.onset_date)
    isolation_end = factory.LazyAttribute(
        lambda o: (
            o.onset_date
            + dt.timedelta(
                days=o.profile.parameters["isolation_days_after_onset"] if o.profile else 10
            )
        )
    )


class ExposureFactory(factory.django.DjangoModelFactory[Exposure]):
    class Meta:
        model = Exposure

    case = factory.SubFactory(CaseFactory)
    contact = factory.SubFactory(PersonFactory)
    jurisdiction = factory.LazyAttribute(lambda o: o.contact.jurisdiction)
    last_exposure_date = factory.LazyAttribute(lambda o: o.case.report_date - dt.timedelta(days=1))
    setting = "household"
    relation = "household"
    proximity = "close"
    quarantine_end = factory.LazyAttribute(lambda o: o.last_exposure_date + dt.timedelta(days=10))
    monitoring_status = "monitoring"


class LabResultFactory(factory.django.DjangoModelFactory[LabResult]):
    class Meta:
        model = LabResult

    person = factory.SubFactory(PersonFactory)
    jurisdiction = factory.LazyAttribute(lambda o: o.person.jurisdiction)
    control_id = factory.Sequence(lambda n: f"MSG{n:08d}")
    test_code = "94500-6"
    test_loinc = "94500-6"
    test_name = "SARS-CoV-2 RNA NAA+probe"
    test_class = "pcr"
    disease = factory.LazyFunction(covid)
    result_value = "Detected"
    result_code = "260373001"
    result_code_system = "SCT"
    interpretation = "positive"
    status = "final"
    specimen_collected_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    performing_lab_id = "07D1234567"
    performing_lab_name = "State Public Health Laboratory"
    specimen_type = "Nasopharyngeal swab"
    resulted_at = factory.LazyAttribute(lambda o: o.specimen_collected_at + dt.timedelta(hours=20))
