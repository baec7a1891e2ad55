"""What wording must respect before it is saved: the SMS rules of domain.md.

Errors block the save: the link the message exists for must stay, an SMS
starts with the sender (people took unsigned texts for spam), carries no
personal placeholder and no word that tells whoever sees the screen about an
illness. Warnings do not block: an SMS longer than one segment costs more
and may arrive split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epitrace.outreach.choices import Channel
from epitrace.outreach.rendering import PERSONAL, placeholders
from epitrace.wording.text import WordingSyntaxError, used

# Words that would tell whoever sees a phone's screen about an illness, a test
# or a status, in the shipped languages (disease names are the same in most).
HEALTH = re.compile(
    r"covid|corona|sars|virus|measles|sarampi|mpox|monkeypox|viruela|"
    r"positiv|negativ|result|\btest|prueba|diagnos|infec|contagi|"
    r"isolat|aislamiento|aislad|isolamento|quarant|cuarentena|quarentena|expos|expuest|"
    r"\bcase\b|\bcaso\b|contact tracing|rastreo|rastreamento|outbreak|brote|surto|"
    r"\blab|clinic|hospital|symptom|síntoma|sintoma|fever|fiebre|febre|"
    r"disease|enfermedad|doen[cç]a",
    re.IGNORECASE,
)
# GSM 03.38: the basic set, and the extension set whose characters count twice.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
SMS_MAX = 1600  # the longest body the providers accept


@dataclass(frozen=True)
class Segments:
    """How an SMS body travels: its encoding, length in that encoding, and parts."""

    encoding: str
    length: int
    parts: int
    single: int  # characters one part holds

    @classmethod
    def of(cls, text: str) -> Segments:
        if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
            length = sum(2 if c in GSM_EXTENDED else 1 for c in text)
            single, multi, encoding = 160, 153, "GSM-7"
        else:
            length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
            single, multi, encoding = 70, 67, "UCS-2"
        parts = 1 if length <= single else -(-length // multi)
        return cls(encoding, length, parts, single)


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def problems(channel: str, template: str, subject: str, body: str) -> Findings:
    """What is wrong with wording (errors) and what deserves a look (warnings)."""
    found = Findings()
    wanted = placeholders(channel, template)
    names: set[str] = set()
    unconditional: set[str] = set()
    for text in (body, subject) if channel == Channel.EMAIL else (body,):
        try:
            every, outside = used(text)
        except WordingSyntaxError as error:
            found.errors.append(str(error))
            return found
        names |= every
        unconditional |= outside
    if channel == Channel.SMS and names & PERSONAL:
        found.errors.append(
            _("An SMS may not carry personal details: remove %(names)s.")
            % {"names": _tokens(names & PERSONAL)}
        )
    reported = names & PERSONAL if channel == Channel.SMS else set()
    if unknown := names - wanted.allowed - reported:
        found.errors.append(
            _("Unknown placeholders: %(names)s. This message can use %(allowed)s.")
            % {"names": _tokens(unknown), "allowed": _tokens(wanted.allowed)}
        )
    if missing := wanted.required - unconditional:
        found.errors.append(
            _("Keep %(names)s in the text (outside any {%% if %%}).") % {"names": _tokens(missing)}
        )
    if channel == Channel.SMS:
        _sms_rules(body, found)
    if channel == Channel.EMAIL and not subject.strip():
        found.errors.append(_("An e-mail needs a subject."))
    return found


def _sms_rules(body: str, found: Findings) -> None:
    if not body.strip().startswith("{{ sender }}"):
        found.errors.append(
            _("Start an SMS with {{ sender }}, so people see it comes from the department.")
        )
    if word := HEALTH.search(re.sub(r"\{\{[^}]*\}\}", " ", body)):
        found.errors.append(
            _(
                "“%(word)s” may tell whoever sees the phone about an illness: an SMS carries "
                "only the link and the sender."
            )
            % {"word": word.group(0)}
        )


def length_warnings(text: str) -> tuple[Segments, list[str]]:
    """The segments of a rendered SMS and the warnings they call for."""
    segments = Segments.of(text)
    warnings: list[str] = []
    if segments.length > SMS_MAX:
        warnings.append(
            _("Longer than %(max)s characters: providers refuse it.") % {"max": SMS_MAX}
        )
    elif segments.parts > 1:
        warnings.append(
            ngettext(
                "%(length)s %(encoding)s characters: sent as %(parts)s part "
                "(%(single)s fit in one).",
                "%(length)s %(encoding)s characters: sent as %(parts)s parts "
                "(%(single)s fit in one).",
                segments.parts,
            )
            % {
                "length": segments.length,
                "encoding": segments.encoding,
                "parts": segments.parts,
                "single": segments.single,
            }
        )
    return segments, warnings


def _tokens(names: set[str] | frozenset[str]) -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in sorted(names))
