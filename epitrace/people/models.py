"""Persons: cases, contacts and the people tested, one row per human being.

A person lives in one jurisdiction (from the residential address) and is
visible there and in its ancestors. A jurisdiction that elicited a person as
a contact keeps access to them (domain.md: contacts living elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.people.choices import LANGUAGE_NAMES, AddressStatus, ContactKind, ContactUse, Sex


class Person(TimeStampedModel):
    """A human being known to public health: tested, a case, a contact, or a guardian."""

    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100)
    suffix = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    race = models.CharField(max_length=64, blank=True)
    ethnicity = models.CharField(max_length=64, blank=True)
    preferred_language = models.CharField(max_length=8, default="en", help_text=_("ISO 639 code."))
    interpreter_needed = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default=settings.TIME_ZONE)

    street = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    county = models.CharField(max_length=100, blank=True)
    town = models.ForeignKey(
        "jurisdictions.Town", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address_status = models.CharField(
        max_length=16, choices=AddressStatus.choices, default=AddressStatus.UNKNOWN
    )
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="persons"
    )

    deceased_date = models.DateField(null=True, blank=True)
    guardian = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="wards"
    )
    guardian_relation = models.CharField(max_length=50, blank=True)
    purged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the personal data was erased; the row stays for de-identified counts."),
    )

    objects = RestrictedManager()
    person_paths = ("pk",)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [
            models.Index(
                fields=["family_name", "given_name", "birth_date"], name="person_name_dob"
            ),
            models.Index(fields=["birth_date"], name="person_birth_date"),
            models.Index(fields=["jurisdiction", "family_name"], name="person_jur_family"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(guardian=models.F("id")), name="person_not_own_guardian"
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        from epitrace.contacts.models import Exposure

        elicited_here = Exposure.objects.filter(
            contact_id=OuterRef("pk"), case__jurisdiction_id__in=ids
        )
        return Q(jurisdiction_id__in=ids) | Q(Exists(elicited_here))

    @property
    def full_name(self) -> str:
        parts = [self.given_name, self.middle_name, self.family_name, self.suffix]
        return " ".join(part for part in parts if part)

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.preferred_language, self.preferred_language)

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int | None:
        from django.utils import timezone

        return self.age_on(timezone.localdate())

    @property
    def is_minor(self) -> bool:
        age = self.age
        return age is not None and age < 18

    @property
    def address_lines(self) -> list[str]:
        first = ", ".join(part for part in [self.street, self.unit] if part)
        second = " ".join(
            part
            for part in [f"{self.city}," if self.city else "", self.state, self.postcode]
            if part
        )
        return [line for line in [first, second.strip(" ,")] if line]


class ContactPoint(TimeStampedModel):
    """A phone number (E.164) or email address of a person.

    Households often share a phone, so the same value may belong to several persons.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=8, choices=ContactKind.choices)
    value = models.CharField(max_length=254, db_index=True)
    use = models.CharField(max_length=8, choices=ContactUse.choices, default=ContactUse.MOBILE)
    rank = models.PositiveSmallIntegerField(default=1, help_text=_("1 is preferred."))

    objects = RestrictedManager()
    person_paths = ("person_id",)

    class Meta:
        ordering = ["kind", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "value"], name="contactpoint_unique_per_person"
            ),
            models.CheckConstraint(
                condition=~Q(kind="phone") | Q(value__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="contactpoint_phone_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.value

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(ids)).values("pk"))


class PersonIdentifier(TimeStampedModel):
    """An identifier another system gave the person (MRN, lab patient id, state id).

    Unique within its assigning authority, so it can match lab results to
    persons deterministically.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    authority = models.CharField(max_length=200, help_text=_("Assigning authority"))
    type_code = models.CharField(max_length=10, default="MR", help_text=_("HL7 table 0203"))
    value = models.CharField(max_length=100)

    objects = RestrictedManager()
    person_paths = ("person_id",)

    class Meta:
        ordering = ["authority", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "type_code", "value"], name="personidentifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.authority})"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        return Q(person__in=Person.objects.filter(Person.scope_q(ids)).values("pk"))
