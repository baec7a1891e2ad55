"""Turning an accepted report into persons, lab results and cases.

Runs inside the pipeline's per-message savepoint, as the acting identity
(the system for importers). Rules come from the code tables and the disease
profile in force, never from constants here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max
from django.utils import timezone

from epitrace.cases.choices import CaseStatus, Classification
from epitrace.cases.models import Case
from epitrace.core.bulkinsert import new_instance
from epitrace.diseases.models import DiseaseProfile, Interpretation
from epitrace.diseases.rules import isolation_end
from epitrace.jurisdictions.services import AddressResolver
from epitrace.labs.choices import ResultStatus
from epitrace.labs.ingest.normalise import CodeTables, aware, status_of, test_class_of
from epitrace.labs.ingest.report import LabReport, Patient, Result
from epitrace.labs.models import LabResult, RawMessage
from epitrace.lib.usstates import usps_code
from epitrace.people.choices import ContactKind, Sex
from epitrace.people.linkage import text
from epitrace.people.linkage.record import from_patient
from epitrace.people.matching import PersonMatcher, propose
from epitrace.people.matchkeys import key_rows, phone_key, record_of_row
from epitrace.people.models import ContactPoint, Person, PersonIdentifier, PersonMatchKey

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
RANK: dict[str, int] = {
    Classification.SUSPECT: 1,
    Classification.PROBABLE: 2,
    Classification.CONFIRMED: 3,
}


@dataclass
class Written:
    """What one message changed, for the summary, the audit and the priority hook."""

    person_created: bool = False
    person_matched: bool = False
    results: list[LabResult] = field(default_factory=list)
    cases_created: list[Case] = field(default_factory=list)
    cases_updated: list[Case] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)


class RecordWriter:
    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.tables = CodeTables()
        self.resolver = AddressResolver()
        self.matcher = PersonMatcher(actor)
        self.profiles: dict[int, list[DiseaseProfile]] = {}
        # Specimen days are counted in the zone the import runs in, looked up
        # once: the lookup goes through the thread's and task's locals, and
        # a result asks for its day two or three times.
        self.zone = timezone.get_current_timezone()

    # --- persons ---------------------------------------------------------------
    def person_for(self, report: LabReport, written: Written) -> Person:
        patient = report.patient
        match = self.matcher.match(patient)
        if match.person is not None and match.person.pk:
            written.person_matched = True
            person = match.person
        else:
            written.person_created = True
            person = self._create_person(patient)
            propose(person.pk, match)
        self._enrich(person, patient, report.sending_facility, new=written.person_created)
        written.persons.append(person)
        return person

    def _create_person(self, patient: Patient) -> Person:
        person = new_person(patient, self.resolver)
        person.save()
        # Keyed at once, as the batch path does, so the next report finds it.
        PersonMatchKey.objects.bulk_create(key_rows(person.pk, from_patient("", patient)))
        Person.objects.filter(pk=person.pk).update(match_keyed=True)
        person.match_keyed = True
        return person

    def _enrich(self, person: Person, patient: Patient, facility: str, *, new: bool) -> None:
        """Add identifiers, phones and e-mails the person did not have yet."""
        identifiers = identifiers_of(patient, facility)
        points = contact_points_of(patient)
        if new:
            # A new person has nothing yet: insert straight away. An identifier
            # another person already holds stays theirs (ignore_conflicts).
            PersonIdentifier.objects.bulk_create(
                [
                    PersonIdentifier(person=person, authority=a, type_code=t, value=v)
                    for a, t, v in identifiers
                ],
                ignore_conflicts=True,
            )
            ContactPoint.objects.bulk_create(
                [
                    ContactPoint(person=person, kind=k, value=v, rank=r)
                    for r, (k, v) in enumerate(points, start=1)
                ]
            )
            return
        for authority, type_code, value in identifiers:
            # The type is often missing (FHIR) or guessed (HL7 "PI"): one number of
            # one authority is one identifier, whatever type it came with.
            if not PersonIdentifier.objects.filter(authority=authority, value=value).exists():
                PersonIdentifier.objects.create(
                    person=person, authority=authority, type_code=type_code, value=value
                )
        held = set(ContactPoint.objects.filter(person=person).values_list("kind", "value"))
        added = [
            ContactPoint(person=person, kind=kind, value=value, rank=rank)
            for rank, (kind, value) in enumerate(points, start=1)
            if (kind, value) not in held
        ]
        ContactPoint.objects.bulk_create(added)
        # New phones are blocking keys of the person, as the batch path keys them.
        record = record_of_row(person.pk, person.given_name, person.family_name, person.birth_date)
        PersonMatchKey.objects.bulk_create(
            [
                PersonMatchKey(person=person, key=key)
                for point in added
                if point.kind == ContactKind.PHONE
                and (key := phone_key(text.phone_key(point.value), record))
            ],
            ignore_conflicts=True,
        )

    # --- results ---------------------------------------------------------------
    def store_results(
        self, report: LabReport, person: Person, raw: RawMessage, written: Written
    ) -> None:
        for result in report.results:
            self._store_result(report, result, person, raw, written)

    def _store_result(
        self, report: LabReport, result: Result, person: Person, raw: RawMessage, written: Written
    ) -> None:
        values = self.result_values(report, result, person, raw)
        status = values["status"]
        earlier = self._earlier(person, values) if status in REPLACING else None
        if earlier is not None:
            # A correction or cancellation replaces the result it names.
            for name, value in values.items():
                setattr(earlier, name, value)
            lab = earlier
        else:
            lab = new_instance(LabResult, values)
        # The case is decided before the row is written, so it is written once.
        attached = self._case_for(lab, person, written)
        lab.save()
        if attached is not None and self._refresh_case(attached, lab):
            written.cases_updated.append(attached)
        written.results.append(lab)

    def result_values(
        self, report: LabReport, result: Result, person: Person, raw: RawMessage
    ) -> dict[str, Any]:
        """The LabResult fields of one result of a report."""
        loinc = self.tables.loinc_of(result)
        test = self.tables.test_of(loinc)
        collected = aware(result.specimen_collected_at)
        return {
            "person": person,
            "jurisdiction_id": person.jurisdiction_id,
            "raw_message": raw,
            "control_id": report.control_id[:200],
            "sending_facility": report.sending_facility[:200],
            "accession": result.accession[:200],
            "observation_id": result.observation_id[:200],
            "test_code": result.test_code[:64],
            "test_code_system": result.test_code_system[:32],
            "test_name": (result.test_name or (test.name if test else ""))[:255],
            "test_loinc": loinc[:16],
            "test_class": test_class_of(test),
            "disease_id": test.disease_id if test else None,
            "result_value": result.value[:500],
            "result_code": result.value_code[:32],
            "result_code_system": result.value_code_system[:32],
            "interpretation": self.tables.interpretation_of(result),
            "status": status_of(result.status),
            "specimen_collected_at": collected,
            "specimen_utc_offset": _offset_minutes(collected),
            "specimen_type": result.specimen_type[:120],
            "resulted_at": aware(result.resulted_at),
            "performing_lab_id": result.performing_lab_id[:64],
            "performing_lab_name": result.performing_lab_name[:200],
            "ordering_facility": result.ordering_facility[:200],
            "ordering_provider": result.ordering_provider[:200],
        }

    def _earlier(self, person: Person, values: dict[str, Any]) -> LabResult | None:
        if not values["accession"]:
            return None
        same_test = (
            {"test_loinc": values["test_loinc"]}
            if values["test_loinc"]
            else {"test_code": values["test_code"]}
        )
        return (
            LabResult.objects.restrict(self.actor, "change")
            .filter(person=person, accession=values["accession"], **same_test)
            .order_by("-id")
            .first()
        )

    # --- cases -----------------------------------------------------------------
    def _case_for(self, lab: LabResult, person: Person, written: Written) -> Case | None:
        """Set ``lab.case``; returns an existing case it joined, to refresh once saved."""
        if lab.disease_id is None:
            return None  # a test no profile names (influenza...): stored and exported only
        specimen_day = local_day(lab.specimen_collected_at, self.zone)
        profile = self._profile(lab.disease_id, specimen_day)
        latest = (
            Case.objects.restrict(self.actor, "change")
            .filter(person=person, disease_id=lab.disease_id)
            .order_by("-episode")
            .first()
        )
        classification = self._classification(profile, lab)
        if latest is not None and same_episode(profile, latest, specimen_day):
            lab.case = latest
            return latest
        if classification is None or lab.interpretation != Interpretation.POSITIVE:
            return None  # negatives and tests that make no case open nothing
        case = self._open_case(person, lab, profile, classification, specimen_day, latest)
        lab.case = case
        written.cases_created.append(case)
        return None

    def _classification(self, profile: DiseaseProfile | None, lab: LabResult) -> str | None:
        if lab.status == ResultStatus.CANCELLED:
            return None  # a cancelled result counts for nothing
        return _classification(profile, lab)

    def _refresh_case(self, case: Case, lab: LabResult) -> bool:
        """Re-derive the case from its results; True when something changed."""
        positives = (
            case.lab_results.filter(interpretation=Interpretation.POSITIVE)
            .exclude(status=ResultStatus.CANCELLED)
            .exists()
        )
        changed = refresh_case(case, self.positive_class(case, lab), positives, lab, self.zone)
        if changed:
            case.save()
        return changed

    def positive_class(self, case: Case, lab: LabResult) -> str | None:
        """The classification ``lab`` argues for ``case`` (None for a non-positive)."""
        if lab.interpretation != Interpretation.POSITIVE:
            return None
        day = local_day(lab.specimen_collected_at, self.zone)
        return self._classification(self._profile(case.disease_id, day), lab)

    def _open_case(
        self,
        person: Person,
        lab: LabResult,
        profile: DiseaseProfile | None,
        classification: str,
        day: dt.date,
        latest: Case | None,
    ) -> Case:
        episode = (
            (
                Case.objects.restrict(self.actor, "view")
                .filter(person=person, disease_id=lab.disease_id)
                .aggregate(m=Max("episode"))["m"]
                or 0
            )
            + 1
            if latest
            else 1
        )
        case = new_case(person, lab, profile, classification, day, episode, self.zone)
        case.save()
        return case

    def _profile(self, disease_id: int, day: dt.date) -> DiseaseProfile | None:
        if disease_id not in self.profiles:
            self.profiles[disease_id] = list(
                DiseaseProfile.objects.filter(disease_id=disease_id).order_by("-effective_from")
            )
        for profile in self.profiles[disease_id]:
            if profile.effective_from <= day and (
                profile.effective_to is None or day <= profile.effective_to
            ):
                return profile
        return self.profiles[disease_id][0] if self.profiles[disease_id] else None


REPLACING = {ResultStatus.CORRECTED, ResultStatus.CANCELLED}
_SEXES = frozenset(Sex.values)  # the property builds a new list each time


def new_case(
    person: Person,
    lab: LabResult,
    profile: DiseaseProfile | None,
    classification: str,
    day: dt.date,
    episode: int,
    zone: dt.tzinfo | None = None,
) -> Case:
    """The case a first positive opens, not saved yet: isolation from the
    specimen date by the profile's rules (the interview adds the onset).
    ``zone``: the current time zone, when the caller has it at hand."""
    assert lab.disease_id is not None  # only a profiled test opens a case
    end = isolation_end(profile, specimen=day) if profile is not None else None
    return new_instance(
        Case,
        {
            "person": person,
            "disease_id": lab.disease_id,
            "profile": profile,
            "episode": episode,
            "classification": classification,
            "jurisdiction_id": person.jurisdiction_id,
            "report_date": timezone.localdate(timezone=zone),
            "specimen_date": day,
            "isolation_start": day if end else None,
            "isolation_end": end,
        },
    )


def refresh_case(
    case: Case,
    classification: str | None,
    positives: bool,
    lab: LabResult,
    zone: dt.tzinfo | None = None,
) -> bool:
    """Re-derive ``case`` after ``lab`` joined it; True when something changed.

    ``classification`` is what the lab argues for (None for a non-positive),
    ``positives`` whether the case still has a positive, uncancelled result;
    ``zone`` the time zone of the specimen's day (default: the current one).
    """
    day = local_day(lab.specimen_collected_at, zone)
    changed = False
    if classification and RANK.get(classification, 0) > RANK.get(case.classification, 0):
        case.classification, changed = classification, True
    if (
        not positives
        and case.status == CaseStatus.OPEN
        and case.classification != Classification.NOT_A_CASE
    ):
        # Its only positive was corrected or cancelled: not a case after all.
        case.classification = Classification.NOT_A_CASE
        case.status, case.closed_at, changed = CaseStatus.CLOSED, timezone.now(), True
    elif positives and case.classification == Classification.NOT_A_CASE:
        case.classification = classification or Classification.CONFIRMED
        case.status, case.closed_at, changed = CaseStatus.OPEN, None, True
    if positives and (case.specimen_date is None or day < case.specimen_date):
        case.specimen_date, changed = day, True
    return changed


def new_person(patient: Patient, resolver: AddressResolver) -> Person:
    """The person a report describes, not saved yet."""
    state = usps_code(patient.state)
    residence = resolver.resolve(patient.city, patient.postcode, state)
    language = patient.language.lower()[:3] if patient.language else "en"
    return new_instance(
        Person,
        {
            "given_name": patient.given_name[:100],
            "middle_name": patient.middle_name[:100],
            "family_name": patient.family_name[:100],
            "suffix": patient.suffix[:20],
            "birth_date": patient.birth_date,
            "sex": patient.sex if patient.sex in _SEXES else Sex.UNKNOWN,
            "race": patient.race[:64],
            "ethnicity": patient.ethnicity[:64],
            "preferred_language": language if language.isalpha() else "en",
            "street": patient.street[:200],
            "unit": patient.unit[:50],
            "city": patient.city[:100],
            "state": state,
            "postcode": patient.postcode[:10],
            "county": patient.county[:100],
            "town_id": residence.town_id,
            "address_status": residence.status,
            "jurisdiction_id": residence.jurisdiction_id,
            "deceased_date": patient.deceased_date,
        },
    )


def identifiers_of(patient: Patient, facility: str) -> set[tuple[str, str, str]]:
    """(authority, type, value) of the report's identifiers, as stored."""
    return {
        ((i.authority or facility or "unknown")[:200], (i.type_code or "MR")[:10], i.value[:100])
        for i in patient.identifiers
        if i.value
    }


def contact_points_of(patient: Patient) -> list[tuple[str, str]]:
    """(kind, value) of the report's usable phones and e-mails, in order, once each."""
    points = [(ContactKind.PHONE, p) for p in patient.phones if E164.match(p)]
    points += [(ContactKind.EMAIL, e.lower()[:254]) for e in patient.emails if "@" in e]
    return list(dict.fromkeys(points))


def _classification(profile: DiseaseProfile | None, lab: LabResult) -> str | None:
    """The case classification a positive of this test class makes (None: no case)."""
    if profile is None:
        return None
    table = profile.parameters.get("positive_test_classification") or {}
    return table.get(lab.test_class)


def same_episode(profile: DiseaseProfile | None, case: Case, day: dt.date) -> bool:
    interval = profile.parameters.get("reinfection_interval_days") if profile else None
    if interval is None or case.specimen_date is None:
        return True  # no reinfection rule: one case per person and disease
    return abs((day - case.specimen_date).days) <= int(interval)


def _offset_minutes(moment: dt.datetime | None) -> int | None:
    offset = moment.utcoffset() if moment is not None else None
    return int(offset.total_seconds() // 60) if offset is not None else None


def local_day(moment: dt.datetime | None, zone: dt.tzinfo | None = None) -> dt.date:
    """The day of ``moment`` in ``zone`` (default: the current time zone)."""
    if moment is None:
        return timezone.localdate(timezone=zone)
    return timezone.localtime(moment, zone).date()
