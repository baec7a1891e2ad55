"""Choices of the case interview: call outcomes, identity checks, unmet needs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallOutcome(models.TextChoices):
    """What came of one call to the case, as the tracer clicks it."""

    NO_ANSWER = "no_answer", _("No answer")
    VOICEMAIL = "voicemail", _("Left voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    REFUSED = "refused", _("Refused")
    COMPLETED = "completed", _("Reached")


class InterviewStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    COMPLETED = "completed", _("Completed")


class IdentityMethod(models.TextChoices):
    """How the tracer made sure they speak with the case (or for them)."""

    NAME_DOB = "name_dob", _("Stated their full name and date of birth")
    ADDRESS = "address", _("Confirmed their address")
    GUARDIAN = "guardian", _("Confirmed by a parent or guardian")
    PROXY = "proxy", _("Confirmed through an interpreter or a proxy")
    OTHER = "other", _("Other (say how in the notes)")


class Need(models.TextChoices):
    """Unmet needs a community organisation can help with while the person isolates."""

    FOOD = "food", _("Food")
    HOUSING = "housing", _("Housing")
    MEDICATION = "medication", _("Medication")
    INCOME = "income", _("Income / lost wages")
    CHILDCARE = "childcare", _("Childcare")
    UTILITIES = "utilities", _("Utilities (heating oil, electricity...)")
    OTHER = "other", _("Other (say which in the notes)")


class Consent(models.TextChoices):
    YES = "yes", _("Yes, they agree to a referral")
    NO = "no", _("No referral")
