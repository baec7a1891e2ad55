"""Diseases, their versioned profiles, and the code tables for tests and results.

A disease profile holds every rule of a condition (tests and what each class
of test means, reinfection interval, incubation, infectious period,
monitoring and isolation lengths, symptoms, interview questions) with the date
it took effect. A record uses the version in force on its date. Nothing in
the code hard-codes these values: the rule engine reads them from here.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class TestClass(models.TextChoices):
    __test__ = False  # not a pytest test class

    PCR = "pcr", _("Molecular (PCR/NAAT)")
    ANTIGEN = "antigen", _("Antigen")
    SEROLOGY = "serology", _("Serology (antibody)")
    OTHER = "other", _("Other")


class Interpretation(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")
    OTHER = "other", _("Other")


class Disease(models.Model):
    """A reportable condition (COVID-19, measles, mpox...)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    snomed_code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DiseaseProfileQuerySet(models.QuerySet["DiseaseProfile"]):
    def in_force(self, disease: Disease | int, on: dt.date) -> DiseaseProfile | None:
        """The profile version of ``disease`` in force on ``on``, if any."""
        return (
            self.filter(disease=disease, effective_from__lte=on)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on))
            .order_by("-effective_from")
            .first()
        )


class DiseaseProfile(models.Model):
    """One version of a disease's rules, effective from a date."""

    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="profiles")
    key = models.SlugField(max_length=64, unique=True, help_text=_("e.g. covid-19-cdc-2020"))
    title = models.CharField(max_length=200)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source = models.TextField(blank=True, help_text=_("Guidance the parameters come from."))
    parameters = models.JSONField(default=dict)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The version this one was copied from."),
    )
    tests = models.JSONField(
        default=list, help_text=_("LOINC codes reporting the disease, with their test class.")
    )
    symptoms = models.JSONField(default=list)
    questions = models.JSONField(default=list, help_text=_("Interview questions (form schema)."))
    updated_at = models.DateTimeField(auto_now=True)

    objects = DiseaseProfileQuerySet.as_manager()

    class Meta:
        ordering = ["disease__name", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="diseaseprofile_effective_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def param(self, name: str) -> object:
        """A rule parameter; a missing one is a profile error, never a silent default."""
        try:
            return self.parameters[name]
        except KeyError as exc:
            raise KeyError(f"disease profile {self.key} has no parameter {name!r}") from exc


class TestCode(models.Model):
    """A laboratory test code (LOINC) and what it measures."""

    __test__ = False  # not a pytest test class

    loinc = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=255)
    test_class = models.CharField(max_length=16, choices=TestClass.choices)
    disease = models.ForeignKey(
        Disease, on_delete=models.SET_NULL, null=True, blank=True, related_name="test_codes"
    )

    class Meta:
        ordering = ["loinc"]

    def __str__(self) -> str:
        return f"{self.loinc} {self.name}"


class ResultCode(models.Model):
    """A coded result value (SNOMED CT, HL7 tables) and its interpretation."""

    system = models.CharField(max_length=32, help_text=_("SCT, HL70078, LN..."))
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=255)
    interpretation = models.CharField(max_length=16, choices=Interpretation.choices)

    class Meta:
        ordering = ["system", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="resultcode_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.code} {self.display}"
