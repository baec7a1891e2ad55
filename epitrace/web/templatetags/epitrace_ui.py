"""Small display helpers for the staff pages: badges, phones, identifiers."""

from __future__ import annotations

import phonenumbers
from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from epitrace.web.search import PHONE_REGION

register = template.Library()

# Identifier types from HL7 table 0203 that labs and hospitals commonly send.
IDENTIFIER_TYPES = {
    "MR": _("Medical record number"),
    "PI": _("Patient internal identifier"),
    "PT": _("Patient external identifier"),
    "SS": _("Social Security number"),
    "DL": _("Driver's license number"),
    "SR": _("State registry id"),
    "AN": _("Account number"),
    "PN": _("Person number"),
    "MA": _("Medicaid number"),
    "MC": _("Medicare number"),
    "NI": _("National unique individual identifier"),
}
# Types shown only by their last four characters: enough to confirm an
# identity on the phone, too little to be useful if a screen is overseen.
MASKED_IDENTIFIER_TYPES = frozenset({"SS"})


@register.simple_tag
def badge(kind: str, value: str, label: object) -> SafeString:
    """A coloured label; ``kind`` and ``value`` pick the colour in app.css."""
    return format_html('<span class="badge badge--{}-{}">{}</span>', kind, value, label)


@register.filter
def phone(value: str) -> str:
    """An E.164 number the way staff read it: national form at home, international abroad."""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    home = phonenumbers.region_code_for_number(number) == PHONE_REGION
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


@register.filter
def identifier_type(code: str) -> str:
    return str(IDENTIFIER_TYPES.get(code, code))


@register.filter
def identifier_value(value: str, type_code: str) -> str:
    if type_code in MASKED_IDENTIFIER_TYPES and len(value) > 4:
        return "•" * (len(value) - 4) + value[-4:]
    return value
