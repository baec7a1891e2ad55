"""The wording Epitrace ships for every kind of letter in every letter language.

Read from data/defaults/<language>.json, where each body is a list of
paragraphs (a "- " line is a bullet point). The data migration installs them
as version 1 of each template; administrators change them from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from epitrace.letters.choices import LETTER_LANGUAGES, LetterKind

DEFAULTS_DIR = Path(__file__).resolve().parent / "data" / "defaults"
SHIPPED_NOTE = "Wording shipped with Epitrace."


@dataclass(frozen=True)
class Wording:
    kind: str
    language: str
    title: str
    body: str


def shipped() -> list[Wording]:
    wordings: list[Wording] = []
    for language in LETTER_LANGUAGES:
        data = json.loads((DEFAULTS_DIR / f"{language}.json").read_text(encoding="utf-8"))
        for kind in LetterKind.values:
            entry = data[kind]
            wordings.append(Wording(kind, language, entry["title"], "\n\n".join(entry["body"])))
    return wordings


def install_defaults(apps: Any) -> None:
    """Create each missing template with the shipped wording as its first version.

    Takes the historical models of a migration; a template that already has a
    version is left alone, so running it again changes nothing.
    """
    template_model = apps.get_model("letters", "LetterTemplate")
    version_model = apps.get_model("letters", "LetterTemplateVersion")
    for wording in shipped():
        template, _ = template_model.objects.get_or_create(
            kind=wording.kind, language=wording.language
        )
        if not version_model.objects.filter(template=template).exists():
            version_model.objects.create(
                template=template,
                number=1,
                title=wording.title,
                body=wording.body,
                note=SHIPPED_NOTE,
            )
