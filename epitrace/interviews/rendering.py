"""The interview's widgets, written out in Python instead of through templates.

The case page's panels hold a hundred-odd inputs (the sheet, its row
templates, the contact entry row): rendered through Django's widget
templates (input.html including attrs.html, an included template per
option), they were half of the panels' rendering time. :class:`FastRenderer`
writes the same HTML, character for character, for the widget templates the
interview uses (inputs, text areas, selects, ticks and radios), and hands
any other template to Django's: test_rendering renders every interview form
both ways and compares. The work pages' other small forms may use it too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
INPUTS = frozenset(
    f"{WIDGETS}{name}.html"
    for name in ("text", "date", "email", "number", "url", "password", "hidden", "checkbox")
)
SELECT_OPTION = f"{WIDGETS}select_option.html"
OPTIONS = frozenset(f"{WIDGETS}{name}.html" for name in ("checkbox_option", "radio_option"))


class Unknown(Exception):
    """A widget this module does not write: Django's template renders it."""


LISTS = frozenset(f"{WIDGETS}{name}.html" for name in ("checkbox_select", "radio"))


def _text(value: Any) -> str:
    """``{{ value }}`` in an autoescaping template."""
    if not isinstance(value, str):
        value = str(localize(value))
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: a safe value stays as it is, anything else is escaped."""
    if isinstance(value, SafeData):
        return str(value)
    return str(conditional_escape(str(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html (with its final newline)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>\n"
    )


def _input_option(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input_option.html (with its final newline)."""
    if not widget.get("wrap_label"):
        return _input(widget) + "\n"
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)} {_text(widget['label'])}</label>\n"


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    text = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _select(widget: Mapping[str, Any]) -> str:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != SELECT_OPTION:
                raise Unknown
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _multiple(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/multiple_input.html."""
    attrs = widget["attrs"]
    ident, css = attrs.get("id"), attrs.get("class")
    out = ["<div"]
    if ident:
        out.append(f' id="{_text(ident)}"')
    if css:
        out.append(f' class="{_text(css)}"')
    out.append(">")
    for group, options, _index in widget["optgroups"]:
        if group:
            out.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            if option["template_name"] not in OPTIONS:
                raise Unknown
            # checkbox_option.html and radio_option.html add a newline of their own.
            out.append(f"<div>\n    {_input_option(option)}\n</div>")
        if group:
            out.append("\n  </div>")
    out.append("\n</div>")
    return "".join(out)


WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **dict.fromkeys(INPUTS, _input),
    **dict.fromkeys(OPTIONS, _input_option),
    **dict.fromkeys(LISTS, _multiple),
    f"{WIDGETS}textarea.html": _textarea,
    f"{WIDGETS}select.html": _select,
}


class FastRenderer(DjangoTemplates):
    """Django's template renderer, with the interview's widgets written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = WRITERS.get(template_name)
        widget = context.get("widget")
        if writer is not None and widget is not None and len(context) == 1:
            try:
                return writer(widget).strip()
            except Unknown:
                pass
        return super().render(template_name, context, request)


FAST_RENDERER = FastRenderer()
