"""Reference material the synthetic data is drawn from, loaded once per run."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from epitrace.diseases.models import Disease, DiseaseProfile, TestCode
from epitrace.jurisdictions.models import Jurisdiction, Town

DATA = Path(__file__).resolve().parent.parent
NAMES_DIR = DATA / "people" / "data" / "names"
STREETS_FILE = DATA / "jurisdictions" / "data" / "demo_state_streets.txt"

# Share of cases by preferred language, roughly a New England state's mix.
LANGUAGE_WEIGHTS = {
    "en": 70,
    "es": 17,
    "pt": 4,
    "ht": 3,
    "pl": 2,
    "vi": 1.5,
    "zh": 1.5,
    "ar": 1,
}

PERFORMING_LABS = [
    ("07D0000101", "State Public Health Laboratory"),
    ("07D0000202", "Riverside Regional Hospital Laboratory"),
    ("07D0000303", "Northeast Clinical Reference Lab"),
    ("07D0000404", "Valley Medical Center Microbiology"),
    ("07D0000505", "Coastal Diagnostics"),
    ("07D0000606", "University Health Molecular Lab"),
]
ORDERING_FACILITIES = [
    ("RRH", "Riverside Regional Hospital"),
    ("VMC", "Valley Medical Center"),
    ("CHC", "Harbor Community Health Center"),
    ("UCC", "Main Street Urgent Care"),
    ("PHM", "Corner Pharmacy Testing Site"),
    ("DRV", "State Drive-Through Testing Site"),
    ("SCH", "School-Based Health Center"),
]
AREA_CODES = ["203", "475", "860", "959", "413", "401"]


@dataclass
class Names:
    female: list[str] = field(default_factory=list)
    male: list[str] = field(default_factory=list)
    family: list[str] = field(default_factory=list)


@dataclass
class TownInfo:
    id: int
    name: str
    jurisdiction_id: int
    postcodes: list[str]
    county: str


@dataclass
class World:
    root: Jurisdiction
    tz: ZoneInfo
    towns: list[TownInfo]
    town_weights: list[float]
    streets: list[str]
    names: dict[str, Names]
    covid: Disease
    pcr_codes: list[TestCode]
    antigen_codes: list[TestCode]
    profiles: list[DiseaseProfile]

    def profile_on(self, day: dt.date) -> DiseaseProfile | None:
        for profile in self.profiles:  # newest first
            if profile.effective_from <= day and (
                profile.effective_to is None or day <= profile.effective_to
            ):
                return profile
        return None


def load_names() -> dict[str, Names]:
    names: dict[str, Names] = {}
    for path in sorted(NAMES_DIR.glob("*.csv")):
        bucket = Names()
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["kind"] == "family":
                    bucket.family.append(row["name"])
                elif row["sex"] == "F":
                    bucket.female.append(row["name"])
                else:
                    bucket.male.append(row["name"])
        names[path.stem] = bucket
    return names


def load_world() -> World:
    root = Jurisdiction.objects.root()
    towns = [
        TownInfo(
            t.id, t.name, t.jurisdiction_id, sorted(p.code for p in t.postal_codes.all()), t.county
        )
        for t in Town.objects.prefetch_related("postal_codes").order_by("name")
    ]
    if not towns:
        raise RuntimeError("no towns loaded: load the jurisdictions first")
    covid = Disease.objects.get(code="covid-19")
    codes = list(TestCode.objects.filter(disease=covid).order_by("loinc"))
    # The first profile in force after the shipped 2020 one is the current one.
    profiles = list(DiseaseProfile.objects.filter(disease=covid).order_by("-effective_from", "key"))
    return World(
        root=root,
        tz=ZoneInfo(root.time_zone),
        towns=towns,
        # Towns with more ZIP codes are bigger: more residents, more cases.
        town_weights=[len(t.postcodes) ** 1.5 for t in towns],
        streets=STREETS_FILE.read_text(encoding="utf-8").split("\n")[:-1] or ["Main Street"],
        names=load_names(),
        covid=covid,
        pcr_codes=[c for c in codes if c.test_class == "pcr"][:4],
        antigen_codes=[c for c in codes if c.test_class == "antigen"],
        profiles=profiles,
    )
