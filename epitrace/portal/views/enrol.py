"""Self-enrolment pages: who you are, the code texted to you, then what happens next.

Public (no link, no token): the counters of ratelimit.py slow down whoever
asks for codes or tries them in bulk, per client address and per phone.
The code never appears in a page, an address or a log; what the person
typed stays in their portal session until the code is right (enrol.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from epitrace.audit.services import client_ip
from epitrace.interviews.forms import ADULT_AGE, age_on
from epitrace.jurisdictions.models import Jurisdiction
from epitrace.people.choices import LANGUAGES
from epitrace.portal import ratelimit
from epitrace.portal.enrol import (
    DONE_KEY,
    Enrolment,
    NotConfigured,
    confirmation,
    do_self_enrol,
    follow_up_end,
    send_code,
)
from epitrace.portal.forms import MAX_AGE, PortalForm, _not_future, _phone, date_field, problems
from epitrace.portal.session import (
    LANGUAGE_KEY,
    activate_language,
    available_languages,
    page,
    portal_page,
)


class EnrolForm(PortalForm):
    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = date_field(_("Date of birth"))
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=40,
        help_text=_("We will text a code to this phone."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(label=_("Language for our messages"), choices=LANGUAGES)
    town = forms.CharField(
        label=_("Town or city where you live"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    postcode = forms.CharField(
        label=_("ZIP code"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    state = forms.CharField(
        label=_("State"),
        max_length=2,
        help_text=_("Two letters, for example NY."),
        widget=forms.TextInput(attrs={"autocomplete": "address-level1", "size": "3"}),
    )
    exposure_date = date_field(
        _("Date of the exposure shown in the alert"),
        help_text=_("If the alert shows no date, give the day you got the alert."),
    )

    def clean_birth_date(self) -> dt.date | None:
        born = _not_future(
            self.cleaned_data.get("birth_date"), gettext("This date cannot be in the future.")
        )
        if born is None:
            return None
        age = age_on(born, timezone.localdate())
        if age > MAX_AGE:
            raise ValidationError(gettext("Check the year of this date."))
        if age < ADULT_AGE:
            # Minors are followed through a parent or guardian, never messaged directly.
            raise ValidationError(
                gettext(
                    "If you are under 18, a parent or guardian needs to call the health "
                    "department for you."
                )
            )
        return born

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data.get("phone", ""))

    def clean_postcode(self) -> str:
        code = self.cleaned_data.get("postcode", "").strip()
        if code and not (len(code) in (5, 10) and code[:5].isdigit()):
            raise ValidationError(gettext("A ZIP code has 5 digits."))
        return code[:5]

    def clean_state(self) -> str:
        state = self.cleaned_data.get("state", "").strip().upper()
        if not (len(state) == 2 and state.isalpha()):
            raise ValidationError(gettext("Type the state's two letters, for example NY."))
        return state

    def clean_exposure_date(self) -> dt.date | None:
        day = _not_future(
            self.cleaned_data.get("exposure_date"), gettext("This date cannot be in the future.")
        )
        if day is None:
            return None
        try:
            end = follow_up_end(day)
        except NotConfigured:
            raise ValidationError(
                gettext(
                    "We cannot enrol you for this date here: please call the health department."
                )
            ) from None
        if end < timezone.localdate():
            raise ValidationError(
                gettext(
                    "That was too long ago for you to need to stay at home. If you feel sick, "
                    "get tested."
                )
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("town", "").strip() or data.get("postcode")) and not (
            self.has_error("town") or self.has_error("postcode")
        ):
            self.add_error("town", gettext("Give your town or your ZIP code."))
        return data

    def enrolment(self) -> Enrolment:
        data = self.cleaned_data
        return Enrolment(
            given_name=data["given_name"].strip(),
            family_name=data["family_name"].strip(),
            birth_date=data["birth_date"].isoformat(),
            phone=data["phone"],
            email=data.get("email") or "",
            language=data["language"],
            town=data.get("town", "").strip(),
            postcode=data.get("postcode", ""),
            state=data["state"],
            exposure_date=data["exposure_date"].isoformat(),
        )


class CodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        help_text=_("Six digits."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": "8"}
        ),
    )


def _initial(request: HttpRequest, language: str) -> dict[str, Any]:
    typed = Enrolment.load(request)
    if typed is not None:  # back from step 2 to correct something
        return {k: v for k, v in typed.__dict__.items() if k != "code_id"}
    state = Jurisdiction.objects.root().state_code
    return {"language": language, "state": state}


@portal_page
def start(request: HttpRequest) -> HttpResponse:
    language = activate_language(request)
    form = EnrolForm(request.POST or None, initial=_initial(request, language))
    if request.method != "POST" or not form.is_valid():
        context = {"form": form, "problems": problems(form) if form.is_bound else []}
        return page(request, "portal/enrol/start.html", context, status=400 if form.errors else 200)
    enrolment = form.enrolment()
    client = client_ip(request) or "unknown"
    limits = ((ratelimit.CODES_PER_IP, client), (ratelimit.CODES_PER_PHONE, enrolment.phone))
    if any(ratelimit.exceeded(limit, subject) for limit, subject in limits):
        return page(request, "portal/enrol/wait.html", status=429)
    for limit, subject in limits:
        ratelimit.hit(limit, subject)
    sent = send_code(enrolment.phone, enrolment.language)
    enrolment.code_id = sent.pk
    enrolment.save(request)
    if enrolment.language in {code for code, _name in available_languages()}:
        request.session[LANGUAGE_KEY] = enrolment.language  # the next pages in their language
    return redirect("portal:enrol_code")


CODE_ERRORS = {
    "expired": _("This code has expired. Ask for a new code."),
    "locked": _("Too many wrong codes. Ask for a new code."),
}


@portal_page
def code(request: HttpRequest) -> HttpResponse:
    enrolment = Enrolment.load(request)
    if enrolment is None or enrolment.code_id is None:
        return redirect("portal:enrol")
    activate_language(request, enrolment.language)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = client_ip(request) or "unknown"
        if ratelimit.exceeded(ratelimit.WRONG_CODES_PER_IP, client):
            return page(request, "portal/enrol/wait.html", status=429)
        verdict = do_self_enrol(enrolment, form.cleaned_data["code"], request=request)
        if verdict.exposure is not None:
            Enrolment.forget(request)
            request.session[DONE_KEY] = verdict.exposure.pk
            return redirect("portal:enrol_done")
        if verdict.status == "wrong":
            ratelimit.hit(ratelimit.WRONG_CODES_PER_IP, client)
            left = verdict.tries_left
            wrong = ngettext(
                "This code is not right. You have %(left)s more try.",
                "This code is not right. You have %(left)s more tries.",
                left,
            )
            form.add_error("code", wrong % {"left": left})
        else:
            form.add_error("code", str(CODE_ERRORS[verdict.status]))
    context = {
        "form": form,
        "problems": problems(form) if form.is_bound else [],
        "phone_end": enrolment.phone[-4:],
    }
    return page(request, "portal/enrol/code.html", context, status=400 if form.errors else 200)


@portal_page
def done(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(DONE_KEY)
    found = confirmation(pk) if isinstance(pk, int) else None
    if found is None:
        return redirect("portal:enrol")
    activate_language(request, found.language)
    return page(request, "portal/enrol/done.html", {"enrolled": found})
