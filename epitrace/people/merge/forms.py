"""Forms of the duplicates queue: a decision on a pair, an unmerge. Both need a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epitrace.people.merge.services import MIN_REASON


class Decision:
    MERGE_INTO_A = "merge_into_a"
    MERGE_INTO_B = "merge_into_b"
    NOT_SAME = "not_same"


class DecisionForm(forms.Form):
    """Merge into the left or the right record, or mark the pair as two people."""

    decision = forms.ChoiceField(
        choices=[
            (Decision.MERGE_INTO_A, _("Merge into left")),
            (Decision.MERGE_INTO_B, _("Merge into right")),
            (Decision.NOT_SAME, _("Not the same person")),
        ],
        widget=forms.HiddenInput,  # given by the button pressed
    )
    reason = forms.CharField(
        label=_("Reason"),
        min_length=MIN_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What shows they are, or are not, the same person. Recorded with the decision."
        ),
    )


class UnmergeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for undoing the merge"),
        min_length=MIN_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
