"""Changing disease profiles: edit a version's parameters, or start a new version.

A version that cases already run on is never edited in place: its rules
decided their dates, and changing it silently would move them without a
trace. Its parameters are locked; a change becomes a new version with its
own effective date (the previous one's period closes the day before), which
applies to records dated from then on. A version no case uses yet (a new
one, effective in the future) may still be corrected in place.

Both changes are audited with every parameter's old and new value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _

from epitrace.audit.services import Action, record_change
from epitrace.cases.models import Case
from epitrace.diseases.models import DiseaseProfile
from epitrace.diseases.rules.params import ProfileError, RuleParameters


def cases_using(profile: DiseaseProfile) -> int:
    # A count across jurisdictions: it tells whether the rules decided someone's
    # dates, and no personal value leaves this function.
    return Case.objects.filter(profile=profile).count()


def cases_per_profile() -> dict[int, int]:
    rows = Case.objects.filter(profile__isnull=False).values("profile").annotate(n=Count("pk"))
    return {row["profile"]: row["n"] for row in rows}


def audit_values(profile: DiseaseProfile) -> dict[str, Any]:
    """The audited state of a version: its period and each parameter on its own."""
    values: dict[str, Any] = {
        "effective_from": profile.effective_from.isoformat(),
        "effective_to": profile.effective_to.isoformat() if profile.effective_to else None,
        "title": profile.title,
    }
    for name, value in (profile.parameters or {}).items():
        values[f"parameters.{name}"] = value
    return values


def check_parameters(parameters: Mapping[str, Any], key: str) -> None:
    try:
        RuleParameters.from_mapping(parameters, key=key)
    except ProfileError as exc:
        raise ValidationError(str(exc)) from None


def do_update_parameters(
    profile: DiseaseProfile,
    parameters: Mapping[str, Any],
    *,
    acting_user: Any,
    request: HttpRequest | None = None,
) -> DiseaseProfile:
    """Correct the parameters of a version no case runs on yet."""
    check_parameters(parameters, profile.key)
    with transaction.atomic():
        locked = DiseaseProfile.objects.select_for_update().get(pk=profile.pk)
        # Checked under the lock: a case opened meanwhile locks the version.
        if Case.objects.filter(profile=locked).exists():
            raise ValidationError(
                _(
                    "Cases already run on this version, so its rules cannot change in place. "
                    "Save the change as a new version with the date it takes effect."
                )
            )
        before = audit_values(locked)
        locked.parameters = dict(parameters)
        locked.save(update_fields=["parameters", "updated_at"])
        record_change(acting_user, locked, before, audit_values(locked), request=request)
    return locked


def do_create_version(
    source: DiseaseProfile,
    *,
    effective_from: dt.date,
    key: str,
    title: str,
    parameters: Mapping[str, Any],
    acting_user: Any,
    request: HttpRequest | None = None,
) -> DiseaseProfile:
    """A copy of ``source`` with new parameters from ``effective_from``.

    The new version takes over the rest of the source's period: the source
    ends the day before, the new one ends when the source used to.
    """
    check_parameters(parameters, key)
    with transaction.atomic():
        locked = DiseaseProfile.objects.select_for_update().get(pk=source.pk)
        _check_start(locked, effective_from)
        if DiseaseProfile.objects.filter(key=key).exists():
            raise ValidationError({"key": _("Another version already has this key.")})
        before = audit_values(locked)
        version = DiseaseProfile.objects.create(
            disease=locked.disease,
            key=key,
            title=title,
            effective_from=effective_from,
            effective_to=locked.effective_to,
            source=locked.source,
            parameters=dict(parameters),
            tests=locked.tests,
            symptoms=locked.symptoms,
            questions=locked.questions,
            based_on=locked,
        )
        locked.effective_to = effective_from - dt.timedelta(days=1)
        locked.save(update_fields=["effective_to", "updated_at"])
        record_change(acting_user, locked, before, audit_values(locked), request=request)
        record_change(
            acting_user,
            version,
            {},
            {**audit_values(version), "based_on": locked.key},
            request=request,
            action=Action.CREATE,
        )
    return version


def _check_start(source: DiseaseProfile, start: dt.date) -> None:
    """The new version must start inside the source's period, after its first day."""
    if start <= source.effective_from:
        message = _("Must be after %(day)s, the day this version took effect.")
        day = source.effective_from
    elif source.effective_to is not None and start > source.effective_to:
        message = _("This version ended on %(day)s: copy the version in force on that date.")
        day = source.effective_to
    else:
        return
    raise ValidationError({"effective_from": message % {"day": day.isoformat()}})
