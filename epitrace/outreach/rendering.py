"""Message wording: one template per channel and purpose, translated by Django's i18n.

``templates/outreach/messages/<channel>/<template>.txt`` (and
``<template>.subject.txt`` for e-mail) hold the English text inside
``{% blocktranslate %}``; the other languages are the outreach catalogue
(``locale/<language>/LC_MESSAGES/django.po``, compiled ``.mo`` shipped). A
language is available for a template when its catalogue translates every
string of that template: a message is never sent half translated, it falls
back to English whole, and the language actually used is returned (and stored
with the message). Adding a language is adding a catalogue; no code changes.

A jurisdiction may word a message its own way (``epitrace.wording``): with
``jurisdiction_id``, the nearest active override up the tree (the local
department, then the state) in the person's language wins over the catalogue
in that language; English overrides apply when the message falls back to
English.

A template kept as one plain file per language (``<template>.<language>.txt``)
still renders, with the languages it has files for.

Templates render as plain text (no HTML escaping). Dates given in the context
(``end_date``) are formatted in the message's language, so translators and
administrators write ``{{ end_date }}`` and never a format.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template import Context, Engine, Node, NodeList, TemplateDoesNotExist
from django.template.base import TextNode, TokenType, VariableNode
from django.template.defaulttags import IfNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import formats, translation
from django.utils.translation import trans_real

from epitrace.outreach import conf
from epitrace.outreach.choices import Channel

if TYPE_CHECKING:
    from epitrace.wording.lookup import Overrides

ROOT = Path(__file__).resolve().parent / "templates" / "outreach" / "messages"
LOCALE = Path(__file__).resolve().parent / "locale"
FALLBACK = "en"
SUBJECT = ".subject.txt"
_SPACES = re.compile(r"\s+")
# Placeholders that say something about the person; never in an SMS body,
# which anyone near the phone may read.
PERSONAL = frozenset({"end_date"})


class TemplateMissing(ValueError):
    """No wording exists for this channel and template, in any language."""


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str
    override_id: int | None = None  # the jurisdiction's wording used, if any


@dataclass(frozen=True)
class Placeholders:
    """The values a template's wording may use, and those it must keep."""

    allowed: frozenset[str]
    required: frozenset[str]


@cache
def _engine() -> Engine:
    return Engine(
        dirs=[str(ROOT)],
        autoescape=False,
        libraries={"i18n": "django.templatetags.i18n"},
    )


# --- What exists ---------------------------------------------------------------------------


def templates(channel: str) -> list[str]:
    return sorted({p.name.split(".")[0] for p in (ROOT / channel).glob("*.txt")})


def _translated(channel: str, template: str) -> bool:
    """True for a template translated through the catalogue (one file, all languages)."""
    return (ROOT / channel / f"{template}.txt").exists()


@cache
def catalogue_languages() -> tuple[str, ...]:
    """The languages with a compiled catalogue here or in the project's LOCALE_PATHS,
    English aside: the candidates :func:`languages` checks template by template."""
    folders = [LOCALE, *(Path(folder) for folder in settings.LOCALE_PATHS)]
    found = {p.parent.parent.name for f in folders for p in f.glob("*/LC_MESSAGES/django.mo")}
    return tuple(sorted(code.replace("_", "-").lower() for code in found - {FALLBACK}))


def languages(channel: str, template: str) -> list[str]:
    """The languages a template has, English first; empty when there is no such template."""
    return list(_languages(channel, template))


@cache
def _languages(channel: str, template: str) -> tuple[str, ...]:
    if _translated(channel, template):
        keys = _message_keys(channel, template)
        found = [code for code in catalogue_languages() if _translates(code, keys)]
        return (FALLBACK, *found)
    found = sorted(
        {p.name.split(".")[-2] for p in (ROOT / channel).glob(f"{template}.*.txt")} - {"subject"}
    )
    return tuple(sorted(found, key=lambda code: code != FALLBACK))


def _translates(code: str, keys: frozenset[str]) -> bool:
    # The merged catalogues of every app (Django keeps them in this attribute).
    catalog = trans_real.translation(code)._catalog  # type: ignore[attr-defined]
    return all(key in catalog for key in keys)


def _files(channel: str, template: str) -> list[str]:
    names = [f"{channel}/{template}.txt"]
    if channel == Channel.EMAIL:
        names.append(f"{channel}/{template}{SUBJECT}")
    return names


def _nodes(channel: str, template: str) -> list[Node]:
    nodes: list[Node] = []
    for name in _files(channel, template):
        nodes.extend(_load(name).nodelist)
    return nodes


@cache
def _message_keys(channel: str, template: str) -> frozenset[str]:
    """The catalogue keys (msgids, with their context) of a translated template."""
    keys: set[str] = set()
    for node in _walk(_nodes(channel, template)):
        if isinstance(node, BlockTranslateNode):
            msgid, _names = node.render_token_list(node.singular)
            keys.add(_keyed(node.message_context, msgid))
        elif isinstance(node, TranslateNode) and node.filter_expression.var.literal:
            keys.add(_keyed(node.message_context, str(node.filter_expression.var.literal)))
    return frozenset(keys)


def _keyed(context: Any, msgid: str) -> str:
    if context is None:
        return msgid
    return f"{context.var.literal}\x04{msgid}"  # gettext's separator of context and id


def _walk(nodes: list[Node]) -> list[Node]:
    found: list[Node] = []
    for node in nodes:
        found.append(node)
        for child in _children(node):
            found.extend(_walk(list(child)))
    return found


def _children(node: Node) -> list[NodeList]:
    if isinstance(node, IfNode):
        return [nodelist for _condition, nodelist in node.conditions_nodelists]
    return [
        nodelist
        for attr in node.child_nodelists
        if isinstance(nodelist := getattr(node, attr, None), NodeList)
    ]


# --- Placeholders --------------------------------------------------------------------------


@cache
def placeholders(channel: str, template: str) -> Placeholders:
    """What a template's default wording uses: every value may be kept, those outside an
    ``{% if %}`` must be (an override may not drop the link the message exists for)."""
    if not templates_exist(channel, template):
        raise TemplateMissing(f"no message template {channel}/{template}")
    names = _files(channel, template)
    if not _translated(channel, template):
        names = [f"{channel}/{template}.{languages(channel, template)[0]}.txt"]
    allowed: set[str] = set()
    required: set[str] = set()
    for name in names:
        for value, optional in _variables(list(_load(name).nodelist), optional=False):
            allowed.add(value)
            if not optional:
                required.add(value)
    return Placeholders(frozenset(allowed), frozenset(required))


def templates_exist(channel: str, template: str) -> bool:
    return template in templates(channel)


def _variables(nodes: list[Node], *, optional: bool) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    for node in nodes:
        if isinstance(node, VariableNode):
            found.append((str(node.filter_expression.var).split(".")[0], optional))
        elif isinstance(node, BlockTranslateNode):
            for token in node.singular:
                if token.token_type == TokenType.VAR:
                    found.append((token.contents, optional))
        inner = optional or isinstance(node, IfNode)
        for child in _children(node):
            found.extend(_variables(list(child), optional=inner))
    return found


def default_source(channel: str, template: str, language: str) -> tuple[str, str]:
    """The shipped wording in ``language`` as an administrator would write it:
    (subject, body) with ``{{ placeholders }}`` and ``{% if %}`` kept, the
    sentences translated. It is where an override starts from."""
    code = language if language in languages(channel, template) else FALLBACK
    with translation.override(code):
        if not _translated(channel, template):
            names = [f"{channel}/{template}.{code}.txt", f"{channel}/{template}.{code}{SUBJECT}"]
        else:
            names = _files(channel, template)
        parts = [_source(list(_load(name).nodelist)) for name in names[:2] if _exists(name)]
    body = _one_line(parts[0]) if channel == Channel.SMS else _tidy(parts[0])
    subject = _one_line(parts[1]) if channel == Channel.EMAIL and len(parts) > 1 else ""
    return subject, body


def _exists(name: str) -> bool:
    return (ROOT / name).exists()


def _source(nodes: list[Node]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, BlockTranslateNode):
            msgid, _names = node.render_token_list(node.singular)
            text = (
                translation.pgettext(node.message_context.var.literal, msgid)
                if node.message_context
                else translation.gettext(msgid)
            )
            out.append(re.sub(r"%\((\w+)\)s", r"{{ \1 }}", text).replace("%%", "%"))
        elif isinstance(node, TranslateNode):
            out.append(str(node.render(Context())))
        elif isinstance(node, VariableNode):
            out.append(f"{{{{ {node.filter_expression.var} }}}}")
        elif isinstance(node, IfNode):
            out.append(_if_source(node))
        elif isinstance(node, TextNode):
            out.append(node.s)
    return "".join(out)


def _if_source(node: IfNode) -> str:
    out = []
    for index, (condition, nodelist) in enumerate(node.conditions_nodelists):
        if condition is None:
            out.append("{% else %}")
        else:
            out.append("{{% {} {} %}}".format("if" if index == 0 else "elif", condition.text))
        out.append(_source(list(nodelist)))
    return "".join([*out, "{% endif %}"])


# --- Rendering -----------------------------------------------------------------------------


def render(
    channel: str,
    template: str,
    language: str,
    context: dict[str, Any],
    *,
    jurisdiction_id: int | None = None,
    wordings: Overrides | None = None,
) -> Rendered:
    """The message in ``language`` if it has that language, else in English.

    ``wordings``: the jurisdictions' overrides already read for many messages
    (``wording.lookup.Overrides``); without it they are read here.
    """
    available = languages(channel, template)
    if not available:
        raise TemplateMissing(f"no message template {channel}/{template}")
    wanted = _candidates(language)
    overrides = {}
    if jurisdiction_id is not None:
        if wordings is None:
            from epitrace.wording.lookup import nearest

            overrides = nearest(channel, template, wanted, jurisdiction_id)
        else:
            overrides = wordings.nearest(channel, template, wanted, jurisdiction_id)
    for code in wanted:
        if code in overrides:
            found = overrides[code]
            return render_wording(
                channel, code, found.subject, found.body, context, override_id=found.pk
            )
        if code in available:
            return _render_default(channel, template, code, context)
    return _render_default(channel, template, available[0], context)


def _candidates(language: str) -> list[str]:
    """``pt-BR`` -> pt-br, pt, en: the person's language, its base language, English."""
    code = (language or FALLBACK).strip().replace("_", "-").lower()
    return list(dict.fromkeys([code, code.split("-")[0], FALLBACK]))


def _render_default(channel: str, template: str, code: str, context: dict[str, Any]) -> Rendered:
    with translation.override(code):
        values = _values(context)
        if _translated(channel, template):
            body_name, subject_name = f"{template}.txt", f"{template}{SUBJECT}"
        else:
            body_name, subject_name = f"{template}.{code}.txt", f"{template}.{code}{SUBJECT}"
        body = _render(f"{channel}/{body_name}", values)
        subject = ""
        if channel == Channel.EMAIL:
            subject = _render(f"{channel}/{subject_name}", values)
    return _finished(channel, code, subject, body)


def render_wording(
    channel: str,
    language: str,
    subject: str,
    body: str,
    context: dict[str, Any],
    *,
    override_id: int | None = None,
) -> Rendered:
    """Wording written by an administrator (checked: placeholders and ``if`` only)."""
    from epitrace.wording.text import render_text

    with translation.override(language):
        values = _values(context)
        subject, body = render_text(subject, values), render_text(body, values)
    return _finished(channel, language, subject, body, override_id)


def _values(context: dict[str, Any]) -> dict[str, Any]:
    """The context with the sender, dates written out in the active language."""
    values = {"sender": conf.sender_name(), **context}
    for name, value in values.items():
        if isinstance(value, dt.date):
            values[name] = formats.date_format(value, "DATE_FORMAT")
    return values


def _finished(
    channel: str, code: str, subject: str, body: str, override_id: int | None = None
) -> Rendered:
    if channel == Channel.SMS:
        body = _one_line(body)  # an SMS is one line; template line breaks are layout
    subject = _one_line(subject) if channel == Channel.EMAIL else ""
    return Rendered(code, subject, _tidy(body), override_id)


def _load(name: str) -> Any:
    try:
        return _engine().get_template(name)
    except TemplateDoesNotExist as exc:
        raise TemplateMissing(f"no message template {name}") from exc


def _render(name: str, values: dict[str, Any]) -> str:
    return str(_load(name).render(Context(values, autoescape=False)))


def _tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
