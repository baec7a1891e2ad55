"""What a letter is: its kind, and the languages letters are shipped in."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from epitrace.people.choices import LANGUAGE_NAMES


class LetterKind(models.TextChoices):
    ISOLATION = "isolation", _("Isolation")
    QUARANTINE = "quarantine", _("Quarantine")
    RELEASE = "release", _("Release")


class Subject(models.TextChoices):
    """The record a letter is written from: a case (isolation) or an exposure (quarantine)."""

    CASE = "case", _("Case")
    EXPOSURE = "exposure", _("Exposure")


# The kinds each record can produce. A release ends either an isolation or a
# quarantine, so it is the one kind both records share.
KINDS_FOR = {
    Subject.CASE: (LetterKind.ISOLATION, LetterKind.RELEASE),
    Subject.EXPOSURE: (LetterKind.QUARANTINE, LetterKind.RELEASE),
}

# The languages letters ship in: those of the people a department serves most
# (epitrace/seed/world.py). A person who speaks another one gets English.
LETTER_LANGUAGES = ("en", "es", "pt", "ht", "pl", "vi", "zh", "ar")
FALLBACK_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in LETTER_LANGUAGES]


def letter_language(preferred: str | None) -> str:
    """The letter language for a person's preferred language (ISO 639)."""
    code = (preferred or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LETTER_LANGUAGES else FALLBACK_LANGUAGE
