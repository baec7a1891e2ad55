"""Deterministic synthetic cases, households, contacts and lab results.

Given a seed and an anchor date, the same records come out every time. Cases
follow an epidemic curve with two waves over the period; each case lives in a
household (sharing address, language and often one phone), minors have a
guardian, household members and other contacts are exposures, some contacts
later become cases themselves (a transmission chain), and lab results are
positive (PCR or antigen) for cases and mostly negative for tested contacts.
Dates come from the disease profile in force, never from constants here.

Primary keys are assigned here so records can reference each other before
they are written (see writer.py).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from epitrace.seed.world import (
    AREA_CODES,
    LANGUAGE_WEIGHTS,
    ORDERING_FACILITIES,
    PERFORMING_LABS,
    TownInfo,
    World,
)

Row = dict[str, Any]
HOUSEHOLD_SIZES = ([1, 2, 3, 4, 5, 6], [28, 34, 16, 13, 6, 3])
OTHER_CONTACTS = ([0, 1, 2, 3, 4, 6], [30, 25, 20, 12, 8, 5])
SECONDARY_SHARE = 0.12  # cases that were already someone's contact


@dataclass
class Batch:
    persons: list[Row] = field(default_factory=list)
    contact_points: list[Row] = field(default_factory=list)
    identifiers: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    exposures: list[Row] = field(default_factory=list)
    labs: list[Row] = field(default_factory=list)
    # (monitoring_status, resulting_case_id, exposure_id) for earlier exposures.
    exposure_updates: list[tuple[str, int, int]] = field(default_factory=list)
    new_person_ids: set[int] = field(default_factory=set)
    identified: set[tuple[int, str]] = field(default_factory=set)


@dataclass
class Home:
    """Where a household lives: shared by its members."""

    town: TownInfo
    street: str
    postcode: str
    language: str
    family_name: str
    phone: str | None


@dataclass
class PoolEntry:
    exposure_id: int
    person_id: int
    home: Home
    age: int
    sex: str
    given_name: str
    birth_date: dt.date
    jurisdiction_id: int


class Generator:
    def __init__(
        self, world: World, *, seed: int, anchor: dt.date, days: int, next_ids: dict[str, int]
    ) -> None:
        self.w = world
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.days = days
        self.ids = dict(next_ids)
        self.languages = list(LANGUAGE_WEIGHTS)
        self.language_cum = _cumulative(LANGUAGE_WEIGHTS.values())
        self.town_cum = _cumulative(world.town_weights)
        self.pool: dict[dt.date, list[PoolEntry]] = defaultdict(list)
        self.anchor_time = dt.datetime.combine(anchor, dt.time(17), tzinfo=world.tz)

    # --- ids and small draws ---------------------------------------------------
    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def report_days(self, n: int) -> list[dt.date]:
        """n report dates over the period, shaped as two epidemic waves, sorted."""
        weights = []
        for d in range(self.days):
            x = d / max(self.days - 1, 1)
            wave1 = math.exp(-(((x - 0.35) / 0.12) ** 2) / 2)
            wave2 = 0.7 * math.exp(-(((x - 0.85) / 0.10) ** 2) / 2)
            weekday = (self.anchor - dt.timedelta(days=self.days - 1 - d)).weekday()
            weekend = 0.6 if weekday >= 5 else 1.0  # fewer reports at weekends
            weights.append((0.04 + wave1 + wave2) * weekend)
        offsets = self.rng.choices(range(self.days), weights=weights, k=n)
        start = self.anchor - dt.timedelta(days=self.days - 1)
        return sorted(start + dt.timedelta(days=o) for o in offsets)

    def _language(self) -> str:
        return self.languages[
            bisect_left(self.language_cum, self.rng.random() * self.language_cum[-1])
        ]

    def _town(self) -> TownInfo:
        return self.w.towns[bisect_left(self.town_cum, self.rng.random() * self.town_cum[-1])]

    def _phone(self) -> str:
        r = self.rng
        return f"+1{r.choice(AREA_CODES)}{r.randint(200, 989)}{r.randint(0, 9999):04d}"

    def _home(self, town: TownInfo | None = None, language: str | None = None) -> Home:
        language = language or self._language()
        town = town or self._town()
        names = self.w.names.get(language) or self.w.names["en"]
        street = f"{self.rng.randint(1, 1999)} {self.rng.choice(self.w.streets)}"
        return Home(
            town=town,
            street=street,
            postcode=self.rng.choice(town.postcodes),
            language=language,
            family_name=self.rng.choice(names.family),
            phone=self._phone() if self.rng.random() < 0.95 else None,
        )

    def _stamp(self, day: dt.date) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(8), tzinfo=self.w.tz) + dt.timedelta(
            minutes=self.rng.randint(0, 600)
        )
        return min(moment, self.anchor_time)

    # --- records -------------------------------------------------------------
    def _person(
        self,
        batch: Batch,
        home: Home,
        *,
        age: int,
        sex: str,
        on: dt.date,
        own_phone: bool,
        family_name: str | None = None,
    ) -> tuple[int, dt.date, str]:
        r = self.rng
        names = self.w.names.get(home.language) or self.w.names["en"]
        given = r.choice(names.female if sex == "F" else names.male)
        family = family_name or home.family_name
        if home.language == "pl" and sex == "F" and family.endswith(("ski", "cki", "dzki")):
            family = family[:-1] + "a"  # Polish feminine surname form
        born = on - dt.timedelta(days=age * 365 + r.randint(0, 364))
        pid = self._id("person")
        batch.new_person_ids.add(pid)
        stamp = self._stamp(on)
        deceased = (
            on + dt.timedelta(days=r.randint(5, 25)) if age >= 75 and r.random() < 0.03 else None
        )
        batch.persons.append(
            {
                "id": pid,
                "created_at": stamp,
                "updated_at": stamp,
                "given_name": given,
                "family_name": family,
                "birth_date": born,
                "sex": sex,
                "preferred_language": home.language,
                "interpreter_needed": home.language != "en" and r.random() < 0.6,
                "time_zone": self.w.root.time_zone,
                "street": home.street,
                "city": home.town.name,
                "state": self.w.root.state_code,
                "postcode": home.postcode,
                "county": home.town.county,
                "town_id": home.town.id,
                "address_status": "resolved",
                "jurisdiction_id": home.town.jurisdiction_id,
                "deceased_date": deceased if deceased and deceased <= self.anchor else None,
            }
        )
        phone = home.phone if not own_phone else self._phone()
        if phone and age >= 12:
            self._contact_point(batch, pid, "phone", phone, stamp)
        if age >= 16 and r.random() < 0.45:
            self._contact_point(batch, pid, "email", _email(given, family, pid), stamp)
        return pid, born, given

    def _contact_point(
        self, batch: Batch, pid: int, kind: str, value: str, stamp: dt.datetime
    ) -> None:
        batch.contact_points.append(
            {
                "id": self._id("contactpoint"),
                "created_at": stamp,
                "updated_at": stamp,
                "person_id": pid,
                "kind": kind,
                "value": value,
                "use": "mobile" if kind == "phone" else "home",
                "rank": 1,
            }
        )

    def _lab(
        self,
        batch: Batch,
        pid: int,
        jurisdiction_id: int,
        case_id: int | None,
        specimen: dt.date,
        test_class: str,
        positive: bool,
    ) -> None:
        r = self.rng
        codes = self.w.pcr_codes if test_class == "pcr" else self.w.antigen_codes
        code = r.choice(codes)
        lab_id, lab_name = r.choice(PERFORMING_LABS)
        fac_code, facility = r.choice(ORDERING_FACILITIES)
        collected = dt.datetime.combine(specimen, dt.time(7), tzinfo=self.w.tz) + dt.timedelta(
            minutes=r.randint(0, 660)
        )
        resulted = collected + dt.timedelta(hours=r.randint(1, 48) if test_class == "pcr" else 1)
        imported = min(resulted + dt.timedelta(minutes=r.randint(20, 180)), self.anchor_time)
        lid = self._id("labresult")
        batch.labs.append(
            {
                "id": lid,
                "person_id": pid,
                "case_id": case_id,
                "jurisdiction_id": jurisdiction_id,
                "control_id": f"SEED{lid:010d}",
                "sending_facility": f"{facility}^{lab_id}^CLIA",
                "test_code": code.loinc,
                "test_code_system": "LN",
                "test_name": code.name,
                "test_loinc": code.loinc,
                "test_class": test_class,
                "disease_id": self.w.covid.id,
                "result_value": ("Detected" if positive else "Not detected")
                if test_class == "pcr"
                else ("Positive" if positive else "Negative"),
                "result_code": ("260373001" if positive else "260415000")
                if test_class == "pcr"
                else ("10828004" if positive else "260385009"),
                "result_code_system": "SCT",
                "interpretation": "positive" if positive else "negative",
                "status": "final",
                "specimen_collected_at": collected,
                "specimen_type": "Nasopharyngeal swab"
                if test_class == "pcr"
                else "Anterior nares swab",
                "resulted_at": min(resulted, self.anchor_time),
                "performing_lab_id": lab_id,
                "performing_lab_name": lab_name,
                "ordering_facility": facility,
                "imported_at": imported,
            }
        )
        # Identifiers only for persons born in this batch: a person from an earlier
        # batch may already hold this facility's number, and memory must stay flat.
        if pid in batch.new_person_ids and (pid, facility) not in batch.identified:
            batch.identified.add((pid, facility))
            batch.identifiers.append(
                {
                    "id": self._id("personidentifier"),
                    "created_at": imported,
                    "updated_at": imported,
                    "person_id": pid,
                    "authority": facility,
                    "type_code": "MR",
                    "value": f"{fac_code}{pid:09d}",
                }
            )

    def make_batch(self, report_dates: list[dt.date]) -> Batch:
        batch = Batch()
        if report_dates:  # contacts exposed too long ago can no longer become cases
            horizon = report_dates[0] - dt.timedelta(days=10)
            for day in [d for d in self.pool if d < horizon]:
                del self.pool[day]
        for report in report_dates:
            self._case(batch, report)
        return batch

    def _case(self, batch: Batch, report: dt.date) -> None:
        r = self.rng
        source = self._take_from_pool(report) if r.random() < SECONDARY_SHARE else None
        if source:
            home, age, sex = source.home, source.age, source.sex
            pid, jur = source.person_id, source.jurisdiction_id
        else:
            home = self._home()
            age = _age(r)
            sex = r.choice("FM")
            pid, _, _ = self._person(batch, home, age=age, sex=sex, on=report, own_phone=False)
            jur = home.town.jurisdiction_id
        case_id = self._id("case")
        profile = self.w.profile_on(report)
        params = profile.parameters if profile else {}
        specimen = report - dt.timedelta(days=r.choice([0, 1, 1, 2, 2, 3, 4]))
        test_class = "pcr" if r.random() < 0.75 else "antigen"
        classification = "confirmed" if test_class == "pcr" else "probable"
        symptomatic = r.random() < 0.72
        onset = specimen - dt.timedelta(days=r.randint(0, 4)) if symptomatic else None
        iso_start = onset or specimen
        iso_days = (
            params.get(
                "isolation_days_after_onset"
                if symptomatic
                else "isolation_days_after_specimen_asymptomatic"
            )
            or 10
        )
        iso_end = iso_start + dt.timedelta(days=int(iso_days))
        status, inv, closed_at = self._investigation(report)
        stamp = self._stamp(report)
        batch.cases.append(
            {
                "id": case_id,
                "created_at": stamp,
                "updated_at": stamp,
                "person_id": pid,
                "disease_id": self.w.covid.id,
                "profile_id": profile.id if profile else None,
                "episode": 1,
                "classification": classification,
                "status": status,
                "investigation_status": inv,
                "jurisdiction_id": jur,
                "report_date": report,
                "specimen_date": specimen,
                "onset_date": onset,
                "asymptomatic": not symptomatic,
                "isolation_start": iso_start,
                "isolation_end": iso_end,
                "hospitalized": r.random() < (0.02 + 0.2 * (age >= 65)),
                "closed_at": closed_at,
            }
        )
        if source:
            batch.exposure_updates.append(("became_case", case_id, source.exposure_id))
        if r.random() < 0.1:  # an earlier negative test before turning positive
            self._lab(
                batch,
                pid,
                jur,
                case_id,
                specimen - dt.timedelta(days=r.randint(3, 9)),
                "pcr",
                False,
            )
        self._lab(batch, pid, jur, case_id, specimen, test_class, True)
        if test_class == "antigen" and r.random() < 0.3:  # confirmatory PCR
            self._lab(batch, pid, jur, case_id, specimen + dt.timedelta(days=1), "pcr", True)
            batch.cases[-1]["classification"] = "confirmed"
        self._contacts(batch, case_id, pid, home, age, report, iso_end, params, inv)

    def _investigation(self, report: dt.date) -> tuple[str, str, dt.datetime | None]:
        r = self.rng
        age_days = (self.anchor - report).days
        if age_days <= 1:
            inv = r.choices(["new", "in_progress", "attempted"], [70, 20, 10])[0]
        elif age_days <= 7:
            inv = r.choices(
                ["completed", "attempted", "in_progress", "new", "unable_to_reach"],
                [55, 15, 10, 10, 10],
            )[0]
        else:
            inv = r.choices(["completed", "unable_to_reach", "refused", "lost"], [75, 13, 5, 7])[0]
        if age_days > 21:
            closed = self._stamp(report + dt.timedelta(days=r.randint(10, 20)))
            if closed.date() <= self.anchor:
                return "closed", inv, closed
        return "open", inv, None

    def _contacts(
        self,
        batch: Batch,
        case_id: int,
        case_pid: int,
        home: Home,
        case_age: int,
        report: dt.date,
        iso_end: dt.date,
        params: dict[str, Any],
        inv: str,
    ) -> None:
        r = self.rng
        size = r.choices(*HOUSEHOLD_SIZES)[0]
        adults: list[int] = [case_pid] if case_age >= 18 else []
        minors: list[int] = [] if case_age >= 18 else [case_pid]
        members: list[tuple[int, int, str, dt.date, str]] = []
        for i in range(size - 1):
            if case_age < 18 and i < 2:
                age = r.randint(max(case_age + 18, 22), case_age + 45)
            elif case_age >= 18 and i == 0:
                age = max(18, case_age + r.randint(-6, 6))
            else:
                age = r.randint(0, 17) if r.random() < 0.7 else r.randint(60, 90)
            sex = r.choice("FM")
            pid, born, given = self._person(
                batch, home, age=age, sex=sex, on=report, own_phone=r.random() < 0.5
            )
            (adults if age >= 18 else minors).append(pid)
            members.append((pid, age, sex, born, given))
        if minors and not adults:  # a minor living with no exposed adult still has a parent
            adults.append(self._parent(batch, home, report))
        self._assign_guardians(batch, adults, minors, len(members) + 1)
        infectious_start = report - dt.timedelta(days=5)
        for pid, age, sex, born, given in members:
            ongoing = r.random() < 0.7
            self._exposure(
                batch,
                case_id,
                pid,
                home,
                report if ongoing else report - dt.timedelta(days=1),
                "household",
                "household",
                ongoing,
                iso_end,
                params,
                inv,
                report,
                PoolEntry(0, pid, home, age, sex, given, born, home.town.jurisdiction_id),
            )
        for _ in range(r.choices(*OTHER_CONTACTS)[0]):
            other = self._home(town=home.town if r.random() < 0.7 else None)
            age = r.randint(5, 17) if case_age < 18 else r.randint(18, 80)
            sex = r.choice("FM")
            pid, born, given = self._person(
                batch, other, age=age, sex=sex, on=report, own_phone=False
            )
            if age < 18:
                self._assign_guardians(batch, [self._parent(batch, other, report)], [pid], 1)
            setting, relation = _setting(r, case_age)
            last = max(infectious_start, report - dt.timedelta(days=r.randint(1, 6)))
            self._exposure(
                batch,
                case_id,
                pid,
                other,
                last,
                setting,
                relation,
                False,
                iso_end,
                params,
                inv,
                report,
                PoolEntry(0, pid, other, age, sex, given, born, other.town.jurisdiction_id),
            )

    def _parent(self, batch: Batch, home: Home, on: dt.date) -> int:
        """A parent at ``home``, not exposed, reachable on the household phone."""
        pid, _, _ = self._person(
            batch,
            home,
            age=self.rng.randint(25, 55),
            sex=self.rng.choice("FM"),
            on=on,
            own_phone=False,
        )
        return pid

    def _assign_guardians(self, batch: Batch, adults: list[int], minors: list[int], n: int) -> None:
        """Minors are reached through a parent: the first adult of the household."""
        if not adults:
            return
        recent = {p["id"]: p for p in batch.persons[-(n + 2) :]}
        for minor in minors:
            row = recent.get(minor)
            if row is not None:  # a secondary case's row may be in an earlier batch
                row["guardian_id"] = adults[0]
                row["guardian_relation"] = "parent"

    def _exposure(
        self,
        batch: Batch,
        case_id: int,
        pid: int,
        home: Home,
        last: dt.date,
        setting: str,
        relation: str,
        ongoing: bool,
        iso_end: dt.date,
        params: dict[str, Any],
        inv: str,
        report: dt.date,
        entry: PoolEntry,
    ) -> None:
        r = self.rng
        q_days = int(params.get("quarantine_days") or 14)
        counts_from_iso = ongoing and params.get("household_ongoing_counts_from_isolation_end")
        q_end = (iso_end if counts_from_iso else last) + dt.timedelta(days=q_days)
        if inv in ("new", "attempted"):
            status = "not_started"
        else:
            status = "completed" if q_end < self.anchor else "monitoring"
        eid = self._id("exposure")
        stamp = self._stamp(report + dt.timedelta(days=r.randint(0, 2)))
        batch.exposures.append(
            {
                "id": eid,
                "created_at": stamp,
                "updated_at": stamp,
                "case_id": case_id,
                "contact_id": pid,
                "jurisdiction_id": home.town.jurisdiction_id,
                "first_exposure_date": None
                if ongoing
                else last - dt.timedelta(days=r.randint(0, 3)),
                "last_exposure_date": last,
                "ongoing": ongoing,
                "setting": setting,
                "relation": relation,
                "proximity": "close" if r.random() < 0.85 else "proximate",
                "monitoring_status": status,
                "quarantine_end": q_end,
            }
        )
        if r.random() < 0.35:  # the contact got tested
            self._lab(
                batch,
                pid,
                home.town.jurisdiction_id,
                None,
                min(last + dt.timedelta(days=r.randint(2, 6)), self.anchor),
                "pcr",
                False,
            )
        entry.exposure_id = eid
        self.pool[last].append(entry)

    def _take_from_pool(self, report: dt.date) -> PoolEntry | None:
        """A contact exposed 2-10 days before ``report``, who now becomes a case."""
        for back in self.rng.sample(range(2, 11), 9):
            bucket = self.pool.get(report - dt.timedelta(days=back))
            if bucket:
                return bucket.pop(self.rng.randrange(len(bucket)))
        return None


def _cumulative(weights: Any) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += float(weight)
        out.append(total)
    return out


def _age(r: random.Random) -> int:
    bands = [(0, 4), (5, 17), (18, 29), (30, 49), (50, 64), (65, 79), (80, 99)]
    low, high = r.choices(bands, [4, 14, 22, 28, 18, 9, 5])[0]
    return r.randint(low, high)


def _setting(r: random.Random, case_age: int) -> tuple[str, str]:
    if case_age < 5:
        return "daycare", "school"
    if case_age < 18:
        return r.choice([("school", "school"), ("sports", "social"), ("social", "social")])
    return r.choices(
        [
            ("workplace", "work"),
            ("social", "social"),
            ("healthcare", "healthcare"),
            ("congregate", "other"),
            ("college", "school"),
            ("other", "family"),
        ],
        [45, 30, 8, 5, 5, 7],
    )[0]


def _email(given: str, family: str, pid: int) -> str:
    def ascii_(text: str) -> str:
        flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return "".join(ch for ch in flat.lower() if ch.isalnum())

    domain = ("example.com", "example.org", "example.net")[pid % 3]
    return f"{ascii_(given)}.{ascii_(family)}{pid % 97}@{domain}"
