"""How the profile pages show a parameter's value: "14 days", "Yes", "not offered"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epitrace.diseases.rules.params import ParamSpec

register = template.Library()

_UNITS = {
    "days": lambda n: ngettext("%(n)s day", "%(n)s days", n),
    "hours": lambda n: ngettext("%(n)s hour", "%(n)s hours", n),
}


@register.filter
def parameter_value(value: Any, spec: ParamSpec) -> str:
    if value is None:
        return _("none") + (f" ({spec.null_means})" if spec.null_means else "")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int) and spec.kind in _UNITS:
        return _UNITS[spec.kind](value) % {"n": value}
    if isinstance(value, Mapping):
        return ", ".join(f"{key} = {item}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


@register.filter
def plain_value(value: Any) -> str:
    """A parameter the registry does not describe, shown as stored."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value)
    return "—" if value is None else str(value)
