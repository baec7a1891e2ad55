"""Message wording: one template file per channel, purpose and language.

``templates/outreach/messages/<channel>/<template>.<language>.txt`` (and
``.subject.txt`` for e-mail). A language without its file falls back to
English, and the language actually used is stored with the message. The
files are plain text (no HTML escaping); Django's i18n is active in the
message's language while they render, for dates and numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Engine, TemplateDoesNotExist
from django.utils import translation

from epitrace.outreach import conf
from epitrace.outreach.choices import Channel

ROOT = Path(__file__).resolve().parent / "templates" / "outreach" / "messages"
FALLBACK = "en"
_SPACES = re.compile(r"\s+")


class TemplateMissing(ValueError):
    """No wording exists for this channel and template, in any language."""


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


@cache
def _engine() -> Engine:
    return Engine(dirs=[str(ROOT)], autoescape=False)


def languages(channel: str, template: str) -> list[str]:
    """The languages a template has, English first."""
    found = sorted(
        {p.name.split(".")[-2] for p in (ROOT / channel).glob(f"{template}.*.txt")} - {"subject"}
    )
    return sorted(found, key=lambda code: code != FALLBACK)


def templates(channel: str) -> list[str]:
    return sorted({p.name.split(".")[0] for p in (ROOT / channel).glob("*.txt")})


def render(channel: str, template: str, language: str, context: dict[str, Any]) -> Rendered:
    used = language if language in languages(channel, template) else FALLBACK
    values = {"sender": conf.sender_name(), **context}
    with translation.override(used):
        body = _render(f"{channel}/{template}.{used}.txt", values)
        subject = ""
        if channel == Channel.EMAIL:
            subject = _one_line(_render(f"{channel}/{template}.{used}.subject.txt", values))
    if channel == Channel.SMS:
        body = _one_line(body)  # an SMS is one line; template line breaks are layout
    return Rendered(used, subject, body.strip())


def _render(name: str, values: dict[str, Any]) -> str:
    try:
        template = _engine().get_template(name)
    except TemplateDoesNotExist as exc:
        raise TemplateMissing(f"no message template {name}") from exc
    return template.render(_context(values))


def _context(values: dict[str, Any]) -> Any:
    from django.template import Context

    return Context(values, autoescape=False)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
