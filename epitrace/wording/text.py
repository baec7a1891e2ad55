"""The small template language administrators write message wording in.

Placeholders (``{{ link }}``) and ``{% if name %} ... {% else %} ... {% endif %}``
around them, nothing else: no filters, no attribute lookups, no other tags. An
override is text typed in a browser, so it must never reach a template tag
that reads files, settings or other variables. The check runs when the
wording is saved and again before every rendering (a row changed in the
database directly is refused, not sent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils.translation import gettext as _

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
IF = re.compile(r"^(el)?if\s+([a-z][a-z0-9_]*)$")


class WordingSyntaxError(ValueError):
    """Wording that uses more than placeholders and ``if`` blocks."""


def used(text: str) -> tuple[set[str], set[str]]:
    """(every placeholder, those outside any ``if``) of valid wording; else WordingSyntaxError."""
    every: set[str] = set()
    unconditional: set[str] = set()
    depth = 0
    for token in Lexer(text).tokenize():
        contents = token.contents.strip()
        if token.token_type == TokenType.VAR:
            if not NAME.match(contents):
                raise WordingSyntaxError(
                    _(
                        "“{{ %(value)s }}” is not a placeholder: "
                        "write a name only, such as {{ link }}."
                    )
                    % {"value": contents}
                )
            every.add(contents)
            if depth == 0:
                unconditional.add(contents)
        elif token.token_type == TokenType.BLOCK:
            depth = _block(contents, depth, every)
    if depth:
        raise WordingSyntaxError(_("An {% if %} is not closed with {% endif %}."))
    return every, unconditional


def _block(contents: str, depth: int, every: set[str]) -> int:
    if (found := IF.match(contents)) and (depth or not found.group(1)):
        every.add(found.group(2))
        return depth if found.group(1) else depth + 1
    if contents == "else" and depth:
        return depth
    if contents == "endif" and depth:
        return depth - 1
    raise WordingSyntaxError(
        _("“{%% %(tag)s %%}” is not allowed: use placeholders and {%% if name %%} only.")
        % {"tag": contents}
    )


@cache
def _engine() -> Engine:
    # No libraries and autoescape off: the wording is plain text, checked above.
    return Engine(autoescape=False)


def render_text(text: str, values: Mapping[str, Any]) -> str:
    used(text)
    try:
        template = _engine().from_string(text)
    except TemplateSyntaxError as exc:  # e.g. an {% else %} twice
        raise WordingSyntaxError(str(exc)) from exc
    return str(template.render(Context(dict(values), autoescape=False)))
