from pathlib import Path

import pytest

from epitrace.jurisdictions.models import Jurisdiction, PostalCode, Town
from epitrace.jurisdictions.services import (
    AddressResolver,
    JurisdictionFileError,
    do_load_jurisdictions,
    read_jurisdiction_csv,
)
from epitrace.seed.services import DEMO_STATE_FILE

pytestmark = pytest.mark.django_db


def test_fresh_database_has_a_root_state():
    root = Jurisdiction.objects.root()
    assert root.kind == "state"
    assert root.path == f"/{root.pk}/"


def test_demo_state_loads_and_reloads_idempotently():
    rows = read_jurisdiction_csv(DEMO_STATE_FILE)
    first = do_load_jurisdictions(rows, state_code="XS", state_name="Demo State")
    assert 60 <= first.jurisdictions <= 70
    assert 160 <= first.towns <= 180
    counts = (Jurisdiction.objects.count(), Town.objects.count(), PostalCode.objects.count())
    do_load_jurisdictions(rows, state_code="XS")
    assert (
        Jurisdiction.objects.count(),
        Town.objects.count(),
        PostalCode.objects.count(),
    ) == counts
    root = Jurisdiction.objects.root()
    assert root.name == "Demo State"
    for lhd in Jurisdiction.objects.exclude(pk=root.pk):
        assert lhd.parent_id == root.pk
        assert lhd.path == f"{root.path}{lhd.pk}/"
    assert Jurisdiction.objects.subtree_ids([root.path]) == set(
        Jurisdiction.objects.values_list("id", flat=True)
    )


def test_a_district_covers_several_towns():
    do_load_jurisdictions(read_jurisdiction_csv(DEMO_STATE_FILE), state_code="XS")
    district = Jurisdiction.objects.filter(kind="district").first()
    assert district is not None
    assert district.towns.count() >= 2


def test_bad_rows_are_named(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("town,postcodes,jurisdiction_code,jurisdiction_name\nA,1234,lhd-a,A HD\n")
    with pytest.raises(JurisdictionFileError, match="5-digit"):
        do_load_jurisdictions(read_jurisdiction_csv(bad), state_code="XS")
    missing = tmp_path / "missing.csv"
    missing.write_text("town,zip\nA,06001\n")
    with pytest.raises(JurisdictionFileError, match="missing column"):
        read_jurisdiction_csv(missing)


def test_address_resolution_prefers_zip_then_town():
    do_load_jurisdictions(read_jurisdiction_csv(DEMO_STATE_FILE), state_code="XS")
    zip_code = PostalCode.objects.select_related("town").first()
    assert zip_code is not None
    resolver = AddressResolver()
    by_zip = resolver.resolve(city="Misspelt", postcode=zip_code.code, state="XS")
    assert (by_zip.town_id, by_zip.status) == (zip_code.town_id, "resolved")
    by_town = resolver.resolve(city=zip_code.town.name.upper(), postcode="")
    assert by_town.jurisdiction_id == zip_code.town.jurisdiction_id
    unknown = resolver.resolve(city="Nowhere", postcode="99999", state="XS")
    assert (unknown.jurisdiction_id, unknown.status) == (resolver.root_id, "unknown")
    elsewhere = resolver.resolve(city=zip_code.town.name, postcode=zip_code.code, state="TX")
    assert elsewhere.status == "out_of_state"


def test_loader_command_prints_json(tmp_path: Path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "load_jurisdictions", str(DEMO_STATE_FILE), "--state-code", "xs", "--json", stdout=out
    )
    assert '"towns":169' in out.getvalue().splitlines()[-1]
