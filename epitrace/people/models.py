"""Persons: cases, contacts and the people tested, one row per human being.

A person lives in one jurisdiction (from the residential address) and is
visible there and in its ancestors. A jurisdiction that elicited a person as
a contact keeps access to them (domain.md: contacts living elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from epitrace.core.models import RestrictedManager, TimeStampedModel
from epitrace.people.choices import LANGUAGE_NAMES, AddressStatus, ContactKind, ContactUse, Sex


class ContactWindow(models.TextChoices):
    """The part of the day a person prefers to be messaged in (inside the send window)."""

    ANY = "any", _("Any time in the day's window")
    MORNING = "morning", _("Morning (08:00-12:00)")
    AFTERNOON = "afternoon", _("Afternoon (12:00-16:00)")
    EVENING = "evening", _("Evening (16:00-20:00)")


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
    contact_window = models.CharField(
        max_length=10,
        choices=ContactWindow.choices,
        default=ContactWindow.ANY,
        db_default=ContactWindow.ANY,  # rows written in bulk by raw SQL get it too
        help_text=_("When messages and the daily check-in reach the person, local time."),
    )

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
    # Indexed by person_jur_family, which begins with it: one index less per new person.
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        on_delete=models.PROTECT,
        related_name="persons",
        db_index=False,
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
    # False until the matcher's blocking keys (PersonMatchKey) reflect the
    # current name and birth date; any save sets it back (see save()).
    match_keyed = models.BooleanField(default=False, editable=False)

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
            models.Index(
                fields=["id"], condition=Q(match_keyed=False), name="person_match_unkeyed"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(guardian=models.F("id")), name="person_not_own_guardian"
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A name or birth date may have changed: the importer re-keys the
        # person before its next match (epitrace.people.matchkeys).
        self.match_keyed = False
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "match_keyed"}
        super().save(*args, **kwargs)

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        from epitrace.contacts.models import Exposure

        elicited_here = Exposure.objects.filter(
            contact_id=OuterRef("pk"), case__jurisdiction_id__in=ids
        )
        # A person absorbed by a merge is hidden everywhere until the merge is undone.
        return (Q(jurisdiction_id__in=ids) | Q(Exists(elicited_here))) & not_absorbed_q()

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

    # Both indexed by the constraints and indexes below, without LIKE twins:
    # every index costs the import a write per row.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contact_points", db_index=False
    )
    kind = models.CharField(max_length=8, choices=ContactKind.choices)
    value = models.CharField(max_length=254)
    use = models.CharField(max_length=8, choices=ContactUse.choices, default=ContactUse.MOBILE)
    rank = models.PositiveSmallIntegerField(default=1, help_text=_("1 is preferred."))

    objects = RestrictedManager()
    person_paths = ("person_id",)
    scope_by_person = True  # a row of a person is visible when the person is (of_person)

    class Meta:
        ordering = ["kind", "rank", "id"]
        indexes = [models.Index(fields=["value"], name="contactpoint_value")]
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

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if self.kind == ContactKind.PHONE:
            # Phones are blocking keys: the person is re-keyed before the next match.
            Person.objects.filter(pk=self.person_id).update(match_keyed=False)

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        # Correlated: checked for the rows at hand, not by listing every visible person.
        return Q(Exists(Person.objects.filter(Person.scope_q(ids), pk=OuterRef("person_id"))))


class PersonMatchKey(models.Model):
    """A blocking key of a person: the importer compares a report only with
    the persons sharing one of its keys (birth date with a name's sound,
    both names' sounds with the birth year). Derived data, rebuilt by
    ``epitrace.people.matchkeys``; no personal value is readable from it
    beyond what the person row holds."""

    # Indexed by personmatchkey_unique, which begins with it.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=48)

    class Meta:
        indexes = [models.Index(fields=["key"], name="personmatchkey_key")]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="personmatchkey_unique")
        ]

    def __str__(self) -> str:
        return self.key


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
    scope_by_person = True  # a row of a person is visible when the person is (of_person)

    class Meta:
        ordering = ["authority", "value"]
        # The importer looks identifiers up by value, many at a time.
        indexes = [models.Index(fields=["value"], name="personidentifier_value")]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "type_code", "value"], name="personidentifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.authority})"

    @classmethod
    def scope_q(cls, ids: Set[int]) -> Q:
        # Correlated: checked for the rows at hand, not by listing every visible person.
        return Q(Exists(Person.objects.filter(Person.scope_q(ids), pk=OuterRef("person_id"))))


# --- Possible duplicates and merges -------------------------------------------------
#
# A false merge mixes two people's health records, so in the grey zone the
# matcher merges nothing by itself: it proposes a pair and a person decides.
# A merge keeps the absorbed person's row untouched (names, birth date,
# address) and re-points its records to the survivor. The PersonMerge row is
# at once the marker that hides the absorbed person and the exact list of what
# moved, so an unmerge can put every row back (epitrace/people/merge/).

from epitrace.people.merge.choices import DuplicateSource, DuplicateStatus  # noqa: E402


def not_absorbed_q(path: str = "pk") -> Q:
    """Persons not absorbed by an active merge; ``path`` leads to the person id.

    The one filter that hides merged-away persons from lists, searches and the
    matcher. ``Person.scope_q`` ANDs it in so every restricted query has it.
    """
    absorbed = PersonMerge.objects.filter(merged_id=OuterRef(path), unmerged_at__isnull=True)
    return ~Q(Exists(absorbed))


class PossibleDuplicate(models.Model):
    """Two person records the matcher scored in the grey zone, waiting for a human.

    One row per pair for the whole life of the pair (``person_a`` has the
    lower id), so a "not the same person" decision is remembered and a later
    proposal of the same pair cannot reopen it.
    """

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text=_("Match probability from the matcher, 0 to 1."))
    explanation = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Per-field contributions to the score, as the matcher gave them."),
    )
    source = models.CharField(max_length=16, choices=DuplicateSource.choices)
    status = models.CharField(
        max_length=8, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["status", "-score"], name="possibledup_status_score")]
        constraints = [
            models.UniqueConstraint(
                fields=["person_a", "person_b"], name="possibledup_unique_pair"
            ),
            models.CheckConstraint(
                condition=Q(person_a__lt=models.F("person_b")), name="possibledup_a_before_b"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="possibledup_score_0_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DuplicateStatus.values), name="possibledup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=DuplicateStatus.OPEN, decided_at__isnull=True)
                | (~Q(status=DuplicateStatus.OPEN) & Q(decided_at__isnull=False)),
                name="possibledup_decision_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"possible duplicate {self.pk}"


class PersonMerge(models.Model):
    """One person record absorbed into another, and exactly what moved.

    While ``unmerged_at`` is empty the merge is active: the absorbed person is
    hidden everywhere (:func:`not_absorbed_q`) but its row is never changed or
    deleted. ``moves`` lists, table by table, the rows re-pointed to the
    survivor, the rows left on the absorbed person because they would have
    broken a uniqueness rule, the case episodes renumbered, and the survivor's
    fields filled from the absorbed person with their previous values.
    """

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="absorptions")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_away")
    duplicate = models.ForeignKey(
        PossibleDuplicate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merges",
        help_text=_("The queue entry the merge decided, if it came from the queue."),
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    moves = models.JSONField(default=dict)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerge_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["survivor", "unmerged_at"], name="personmerge_survivor")]
        constraints = [
            models.UniqueConstraint(
                fields=["merged"],
                condition=Q(unmerged_at__isnull=True),
                name="personmerge_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(survivor=models.F("merged")), name="personmerge_not_itself"
            ),
            models.CheckConstraint(
                condition=Q(unmerged_at__isnull=True) | Q(unmerged_by__isnull=False),
                name="personmerge_unmerge_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"merge {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.unmerged_at is None
