"""Loading a state's jurisdictions, and finding the jurisdiction of an address.

A state loads its own map from a CSV (``epitrace load_jurisdictions``), one
row per town:

    town,postcodes,jurisdiction_code,jurisdiction_name[,county]

``postcodes`` holds the town's ZIP codes separated by spaces. A local health
department serving several towns (a health district) appears on several
rows with the same code and name. Loading again updates in place.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from epitrace.jurisdictions.models import Jurisdiction, JurisdictionKind, PostalCode, Town
from epitrace.people.choices import AddressStatus

REQUIRED_COLUMNS = ("town", "postcodes", "jurisdiction_code", "jurisdiction_name")


class JurisdictionFileError(ValueError):
    """The jurisdiction CSV cannot be loaded; the message says which line and why."""


@dataclass(frozen=True)
class LoadSummary:
    jurisdictions: int
    towns: int
    postcodes: int


def read_jurisdiction_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise JurisdictionFileError(f"{path}: missing column(s) {', '.join(missing)}")
        return [dict(row) for row in reader]


@transaction.atomic
def do_load_jurisdictions(
    rows: Iterable[Mapping[str, str]], *, state_code: str, state_name: str | None = None
) -> LoadSummary:
    """Create or update the LHDs, towns and ZIP codes below the root."""
    root = Jurisdiction.objects.root()
    if state_name and (root.name != state_name or root.state_code != state_code):
        root.name, root.state_code = state_name, state_code
        root.save(update_fields=["name", "state_code"])

    towns_by_lhd: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        code, name = row["jurisdiction_code"].strip(), row["jurisdiction_name"].strip()
        if not code or not name or not row["town"].strip():
            raise JurisdictionFileError(
                f"line {line}: town, jurisdiction_code and name are required"
            )
        if names.setdefault(code, name) != name:
            raise JurisdictionFileError(
                f"line {line}: {code} has two names ({names[code]!r}, {name!r})"
            )
        towns_by_lhd[code].append(row)

    postcodes = 0
    for code, town_rows in towns_by_lhd.items():
        kind = JurisdictionKind.DISTRICT if len(town_rows) > 1 else JurisdictionKind.LHD
        lhd, _ = Jurisdiction.objects.update_or_create(
            code=code,
            defaults={
                "name": names[code],
                "kind": kind,
                "parent": root,
                "state_code": state_code,
                "time_zone": root.time_zone,
            },
        )
        for row in town_rows:
            postcodes += _load_town(row, lhd, state_code)
    return LoadSummary(len(towns_by_lhd), sum(map(len, towns_by_lhd.values())), postcodes)


def _load_town(row: Mapping[str, str], lhd: Jurisdiction, state_code: str) -> int:
    town, _ = Town.objects.update_or_create(
        state_code=state_code,
        name=row["town"].strip(),
        defaults={"jurisdiction": lhd, "county": (row.get("county") or "").strip()},
    )
    codes = row["postcodes"].split()
    for zip_code in codes:
        if not (len(zip_code) == 5 and zip_code.isdigit()):
            raise JurisdictionFileError(f"{town.name}: {zip_code!r} is not a 5-digit ZIP code")
        PostalCode.objects.update_or_create(code=zip_code, defaults={"town": town})
    return len(codes)


@dataclass(frozen=True)
class Residence:
    """Where an address puts a person: town, jurisdiction, and how sure we are."""

    jurisdiction_id: int
    town_id: int | None
    status: str


class AddressResolver:
    """Maps (city, ZIP, state) to a jurisdiction, from an in-memory copy of the map.

    Built once per import or seed run; ZIP wins over the town name because
    lab feeds misspell towns far more often than ZIP codes.
    """

    def __init__(self) -> None:
        root = Jurisdiction.objects.root()
        self.root_id = root.pk
        self.state_code = root.state_code.upper()
        self.towns = {
            name.casefold(): (tid, jid)
            for tid, name, jid in Town.objects.values_list("id", "name", "jurisdiction_id")
        }
        self.zips = {
            code: (tid, jid)
            for code, tid, jid in PostalCode.objects.values_list(
                "code", "town_id", "town__jurisdiction_id"
            )
        }

    def resolve(self, city: str = "", postcode: str = "", state: str = "") -> Residence:
        state = state.strip().upper()
        if state and state != self.state_code:
            return Residence(self.root_id, None, AddressStatus.OUT_OF_STATE)
        hit = self.zips.get(postcode.strip()[:5]) or self.towns.get(city.strip().casefold())
        if hit is None:
            return Residence(self.root_id, None, AddressStatus.UNKNOWN)
        return Residence(hit[1], hit[0], AddressStatus.RESOLVED)
