"""Forms of the queue pages: an outcome, a reassignment, a handover, the item filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from epitrace.accounts.models import Team, User
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.people.choices import LANGUAGES
from epitrace.queues.choices import Kind, Outcome, State
from epitrace.queues.supervision import MIN_REASON


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Note (no health details)"), required=False, max_length=300)


class TargetKind:
    TRACER = "tracer"
    TEAM = "team"
    STATE = "state"
    CHOICES = [
        (TRACER, _("A tracer")),
        (TEAM, _("A team")),
        (STATE, _("The state pool")),
    ]


class ReassignForm(forms.Form):
    items = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("Items"))
    target = forms.ChoiceField(
        label=_("Send to"), choices=TargetKind.CHOICES, widget=forms.RadioSelect
    )
    tracer = forms.ModelChoiceField(label=_("Tracer"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(
        self, *args: Any, tracers: QuerySet[User], teams: QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tracer"].queryset = tracers  # type: ignore[attr-defined]
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        # Any id is accepted here; the service checks each is within the supervisor's reach.
        posted = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        self.fields["items"].choices = [(value, value) for value in posted]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target")
        if target == TargetKind.TRACER and not data.get("tracer"):
            self.add_error("tracer", _("Choose the tracer."))
        if target == TargetKind.TEAM and not data.get("team"):
            self.add_error("team", _("Choose the team."))
        return data


class HandoverForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=MIN_REASON,
        max_length=500,
        help_text=_("Why the state takes over this queue (recorded in the audit trail)."),
    )


class ItemFilter(forms.Form):
    """Filters of the supervisor's item list (GET parameters, none personal)."""

    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Jurisdiction.objects.none(), required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Waiting or being worked"))]
        + [(s.value, s.label) for s in (State.OPEN, State.CLAIMED)],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", _("All")), *LANGUAGES]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, queues: QuerySet[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues  # type: ignore[attr-defined]
