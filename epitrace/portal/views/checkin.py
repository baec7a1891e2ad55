"""The daily check-in page (and the quarantine notice that carries it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from epitrace.people.models import Person
from epitrace.portal import wording
from epitrace.portal.checkin import answered_today, do_submit_checkins, household_of, profile_of
from epitrace.portal.choices import LinkPurpose
from epitrace.portal.forms import PortalForm, problems
from epitrace.portal.models import PortalLink
from epitrace.portal.session import linked, page

FEELINGS = [("well", _("Well, no symptoms")), ("unwell", _("Not well, or I have symptoms"))]


class CheckInForm(PortalForm):
    """One question and the symptom list per person, named by the person's position."""

    def __init__(
        self, *args: Any, people: list[Person], symptoms: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        for index, person in enumerate(people):
            if index == 0:
                question = gettext("How do you feel today?")
                listed = gettext("Your symptoms today")
            else:
                question = gettext("How does %(name)s feel today?") % {"name": person.given_name}
                listed = gettext("Symptoms of %(name)s today") % {"name": person.given_name}
            self.fields[f"feeling-{index}"] = forms.ChoiceField(
                label=question, choices=FEELINGS, widget=forms.RadioSelect
            )
            self.fields[f"symptoms-{index}"] = forms.MultipleChoiceField(
                label=listed,
                choices=symptoms,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Only if not well."),
            )
        self.prepare()

    def answers(self) -> dict[int, tuple[bool, list[str]]]:
        data = self.cleaned_data
        return {
            person.pk: (
                data[f"feeling-{i}"] == "unwell" or bool(data[f"symptoms-{i}"]),
                data[f"symptoms-{i}"],
            )
            for i, person in enumerate(self.people)
        }

    def person_fields(self) -> list[tuple[Person, Any, Any]]:
        return [
            (person, self[f"feeling-{i}"], self[f"symptoms-{i}"])
            for i, person in enumerate(self.people)
        ]


@linked(LinkPurpose.CHECKIN, LinkPurpose.CONTACT_NOTICE)
def checkin(request: HttpRequest, link: PortalLink) -> HttpResponse:
    people = household_of(link)
    profile = profile_of(link)
    symptoms = [
        (str(s["key"]), wording.symptom(s))
        for s in (profile.symptoms if profile else [])
        if s.get("key")
    ]
    form = CheckInForm(request.POST or None, people=people, symptoms=symptoms)
    if request.method == "POST" and form.is_valid():
        do_submit_checkins(link, form.answers())
        return redirect("portal:checkin_done")
    context = {
        "form": form,
        "problems": problems(form) if form.is_bound else [],
        "notice": link.purpose == LinkPurpose.CONTACT_NOTICE,
        "exposure": link.exposure,
        "answered": bool(answered_today(people[:1])),
    }
    return page(request, "portal/checkin.html", context, status=400 if form.errors else 200)


@linked(LinkPurpose.CHECKIN, LinkPurpose.CONTACT_NOTICE)
def checkin_done(request: HttpRequest, link: PortalLink) -> HttpResponse:
    return page(request, "portal/checkin_done.html", {"exposure": link.exposure})
