from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """Administrative sex as reported on lab messages (HL7 table 0001, reduced)."""

    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "O", _("Other")
    UNKNOWN = "U", _("Unknown")


class AddressStatus(models.TextChoices):
    RESOLVED = "resolved", _("Resolved to a town")
    UNKNOWN = "unknown", _("Unknown town (assigned to the state)")
    OUT_OF_STATE = "out_of_state", _("Out of state (to forward)")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class ContactUse(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


# ISO 639-1 codes (ISO 639-3 where no 639-1 code exists) offered in forms.
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("ht", "Haitian Creole"),
    ("pl", "Polish"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("it", "Italian"),
    ("ru", "Russian"),
    ("ko", "Korean"),
    ("asl", "American Sign Language"),
]
LANGUAGE_NAMES = dict(LANGUAGES)
