"""Letter templates: the wording of each kind of letter in each language, with its history.

A template is one (kind, language) pair; its wording lives in versions that
are only ever added, never changed, so the history shows who wrote what and
an issued letter can name the version it was printed from. The newest version
is the one in use.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epitrace.letters.choices import LETTER_LANGUAGES, LetterKind, language_choices


class LetterTemplate(models.Model):
    """The letter of one kind in one language, as the state's administrators word it."""

    kind = models.CharField(max_length=16, choices=LetterKind.choices)
    language = models.CharField(max_length=8, choices=language_choices())

    class Meta:
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="lettertemplate_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=LetterKind.values), name="lettertemplate_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=list(LETTER_LANGUAGES)),
                name="lettertemplate_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def current_version(self) -> LetterTemplateVersion | None:
        """The version letters are printed from: the newest one."""
        return self.versions.order_by("-number").first()


class LetterTemplateVersion(models.Model):
    """One saved wording of a template: a title and a body with placeholders."""

    template = models.ForeignKey(LetterTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    note = models.CharField(
        max_length=200, blank=True, help_text=_("What changed and why, for the history.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the wording shipped with Epitrace."),
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="lettertemplateversion_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="lettertemplateversion_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"
