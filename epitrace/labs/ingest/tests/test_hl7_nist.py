"""NIST ELR 2.5.1 test cases, ELR guide examples, Cerner and Athena samples,
compared field by field with the expected parse (a HAPI parse tree stored
as JSON in the ``.js`` next to each message)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from epitrace.labs.ingest.hl7 import parse_hl7_message, split_hl7
from epitrace.labs.ingest.hl7.patient import read_xtn
from epitrace.labs.ingest.hl7.results import AOE_QUESTIONS
from epitrace.labs.ingest.hl7.segments import Reader
from epitrace.labs.ingest.hl7.timestamps import parse_dtm
from epitrace.labs.ingest.hl7.tokens import tokenize
from epitrace.labs.ingest.report import Rejected

TESTDATA = (Path(__file__).parents[4] / ".." / "shared" / "testdata").resolve()
NIST = TESTDATA / "elr" / "hl7" / "nist-elr251"

pytestmark = pytest.mark.skipif(not NIST.is_dir(), reason=f"shared test data not found at {NIST}")

Node = dict[str, Any]


def manifest() -> list[dict[str, str]]:
    if not NIST.is_dir():
        return []
    with (NIST / "MANIFEST.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_one(path: Path) -> str:
    [item] = list(split_hl7(path.read_bytes()))
    assert item.problem == ""
    return item.text


# --- walking the HAPI tree ------------------------------------------------------


def v(node: Node | str | None, *path: str) -> str:
    """The value at ``path``, each step taking the first repetition."""
    for key in path:
        if not isinstance(node, dict) or not node.get(key):
            return ""
        node = node[key][0]
    return node if isinstance(node, str) else ""


def reps(node: Node, key: str) -> list[Node]:
    return list(node.get(key, []))


class Expected:
    """What the HAPI parse says, read with the rules the importer documents."""

    def __init__(self, tree: Node) -> None:
        root = tree["ORU_R01"]
        self.msh: Node = root["MSH"][0]
        result = root["ORU_R01.PATIENT_RESULT"][0]
        self.pid: Node = result["ORU_R01.PATIENT"][0]["PID"][0]
        self.orders: list[Node] = reps(result, "ORU_R01.ORDER_OBSERVATION")

    def identifiers(self) -> list[tuple[str, str, str]]:
        return [
            (v(cx, "CX.1"), v(cx, "CX.4", "HD.1") or v(cx, "CX.4", "HD.2"), v(cx, "CX.5"))
            for cx in reps(self.pid, "PID.3")
            if v(cx, "CX.1")
        ]

    def name(self) -> tuple[str, str, str, str]:
        named = [n for n in reps(self.pid, "PID.5") if v(n, "XPN.1", "FN.1") or v(n, "XPN.2")]
        legal = [n for n in named if v(n, "XPN.7") == "L"]
        n = (legal or named or [{}])[0]
        return v(n, "XPN.1", "FN.1"), v(n, "XPN.2"), v(n, "XPN.3"), v(n, "XPN.4")

    def birth_date(self) -> dt.date | None:
        ts = v(self.pid, "PID.7", "TS.1")
        return dt.date(int(ts[:4]), int(ts[4:6]), int(ts[6:8])) if len(ts) >= 8 else None

    def address(self) -> tuple[str, ...]:
        addresses = reps(self.pid, "PID.11")
        home = [a for a in addresses if v(a, "XAD.7") == "H"]
        a = (home or addresses or [{}])[0]
        return (
            v(a, "XAD.1", "SAD.1"),
            v(a, "XAD.2"),
            v(a, "XAD.3"),
            v(a, "XAD.4"),
            v(a, "XAD.5"),
            v(a, "XAD.6"),
            v(a, "XAD.9"),
        )

    def phones(self) -> list[str]:
        phones: list[str] = []
        for xtn in reps(self.pid, "PID.13") + reps(self.pid, "PID.14"):
            if v(xtn, "XTN.3") == "Internet" or not v(xtn, "XTN.7"):
                continue
            parts = [v(xtn, "XTN.5"), v(xtn, "XTN.6"), v(xtn, "XTN.7")]
            number = phonenumbers.parse("".join(parts[1:]), "US")
            if phonenumbers.is_valid_number(number):
                phones.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                )
            else:
                phones.append(" ".join(p for p in parts if p))
        return phones

    def observations(self) -> list[tuple[Node, Node]]:
        """(OBX, its order group), in message order: the OBSERVATION groups,
        then the OBX that HAPI files under the SPECIMEN group."""
        found = []
        for order in self.orders:
            for group in reps(order, "ORU_R01.OBSERVATION"):
                found += [(obx, order) for obx in reps(group, "OBX")]
            for group in reps(order, "ORU_R01.SPECIMEN"):
                found += [(obx, order) for obx in reps(group, "OBX")]
        return found

    @staticmethod
    def value(obx: Node) -> tuple[str, str]:
        """(value as text, value code)"""
        kind = v(obx, "OBX.2")
        if kind in ("CE", "CWE"):
            return v(obx, "OBX.5", f"{kind}.2") or v(obx, "OBX.5", f"{kind}.1"), v(
                obx, "OBX.5", f"{kind}.1"
            )
        return v(obx, "OBX.5"), ""

    @staticmethod
    def collected(order: Node) -> dt.datetime | dt.date | None:
        spm = v(order, "ORU_R01.SPECIMEN", "SPM", "SPM.17", "DR.1", "TS.1")
        return parse_dtm(spm or v(order, "OBR", "OBR.7", "TS.1"))

    @staticmethod
    def accession(order: Node) -> str:
        return (
            v(order, "OBR", "OBR.3", "EI.1")
            or v(order, "ORC", "ORC.3", "EI.1")
            or v(order, "OBR", "OBR.2", "EI.1")
        )


def tree_of(path: Path) -> Node:
    tree: Node = json.loads(path.with_suffix(".js").read_text(encoding="utf-8"))
    return tree


def expected_for(path: Path) -> Expected:
    return Expected(tree_of(path))


# --- the comparisons --------------------------------------------------------------

REJECTED_VALID = {
    # PID-35 species 44696006 (beagle): a rabies result about a dog
    "valid/realm/realm-animal-rabies.hl7": (
        "the subject is not a person (species 'Beagle', PID-35/PID-36)"
    ),
    # the Athena order has an NTE and no OBX (the manifest counts obx=0)
    "valid/athena-health/oru-example.hl7": "no test result: no OBX with a test code (OBX-3)",
}
VALID = [row["file"] for row in manifest() if row["file"].startswith("valid/")]
READ = [f for f in VALID if f not in REJECTED_VALID]


def test_manifest_lists_every_message() -> None:
    assert len(VALID) == 17
    assert len(READ) == 15
    assert {row["file"] for row in manifest()} == {
        str(p.relative_to(NIST)) for p in NIST.rglob("*.hl7")
    }


@pytest.mark.parametrize("name", READ)
def test_header_matches(name: str) -> None:
    row = next(r for r in manifest() if r["file"] == name)
    expected = expected_for(NIST / name)
    report = parse_hl7_message(read_one(NIST / name))
    assert report.control_id == v(expected.msh, "MSH.10") == row["control_id"]
    assert report.version == v(expected.msh, "MSH.12", "VID.1") == row["version"]
    assert report.sending_facility.split("^")[0] in (
        v(expected.msh, "MSH.4", "HD.1"),
        v(expected.msh, "MSH.4", "HD.2"),
    )


@pytest.mark.parametrize("name", READ)
def test_patient_matches(name: str) -> None:
    expected = expected_for(NIST / name)
    p = parse_hl7_message(read_one(NIST / name)).patient
    assert [(i.value, i.authority, i.type_code) for i in p.identifiers] == expected.identifiers()
    assert (p.family_name, p.given_name, p.middle_name, p.suffix) == expected.name()
    assert p.birth_date == expected.birth_date()
    assert p.sex == v(expected.pid, "PID.8")
    assert p.race in (v(expected.pid, "PID.10", "CE.1"), v(expected.pid, "PID.10", "CE.2"))
    assert p.ethnicity == v(expected.pid, "PID.22", "CE.1")
    assert (
        p.street,
        p.unit,
        p.city,
        p.state,
        p.postcode,
        p.country,
        p.county,
    ) == expected.address()
    assert p.phones == expected.phones()


@pytest.mark.parametrize("name", READ)
def test_results_match(name: str) -> None:
    row = next(r for r in manifest() if r["file"] == name)
    expected = expected_for(NIST / name)
    report = parse_hl7_message(read_one(NIST / name))
    observations = expected.observations()
    assert len(observations) == int(row["obx"])
    results = [
        (obx, order) for obx, order in observations if v(obx, "OBX.3", "CE.1") not in AOE_QUESTIONS
    ]
    answers = [
        (obx, order) for obx, order in observations if v(obx, "OBX.3", "CE.1") in AOE_QUESTIONS
    ]
    assert [r.test_code for r in report.results] == [v(o, "OBX.3", "CE.1") for o, _ in results]
    assert [r.test_code_system for r in report.results] == [
        v(o, "OBX.3", "CE.3") for o, _ in results
    ]
    assert [(r.value, r.value_code) for r in report.results] == [
        expected.value(o) for o, _ in results
    ]
    assert [r.status for r in report.results] == [v(o, "OBX.11") for o, _ in results]
    assert [r.specimen_collected_at for r in report.results] == [
        expected.collected(order) for _, order in results
    ]
    assert [r.accession for r in report.results] == [
        expected.accession(order) for _, order in results
    ]
    assert [code for code, _ in report.answers] == [v(o, "OBX.3", "CE.1") for o, _ in answers]


def test_specimen_time_from_spm17_not_obr7() -> None:
    # OBR-7 says 07-29 15:00; SPM-17 says 08-15 11:00 and wins
    report = parse_hl7_message(read_one(NIST / "valid/realm/realm-cj.hl7"))
    [result] = report.results
    assert result.specimen_collected_at == dt.datetime(2008, 8, 15, 11, 0)
    assert result.specimen_received_at == dt.datetime(2008, 8, 15, 11, 0)
    assert result.resulted_at == dt.datetime(2009, 6, 5, 17, 0)  # OBX-19
    assert (result.performing_lab_name, result.performing_lab_id) == ("GHH Lab", "1236")
    assert result.method == "0086"


def test_two_orders_in_one_message() -> None:
    report = parse_hl7_message(read_one(NIST / "valid/realm/realm-cj-joeslab.hl7"))
    assert [(r.test_code, r.value, r.units, r.specimen_type) for r in report.results] == [
        ("625-4", "Campylobacter jejuni", "", "119339001"),
        ("10368-9", "50", "ug/dL", "122554006"),
    ]
    assert report.sending_facility == "Joe's Lab^1234"


def test_corrected_result_keeps_its_status() -> None:
    report = parse_hl7_message(read_one(NIST / "valid/nist/ORU_R01_2.5.1_SampleTestCase3.hl7"))
    [result] = report.results
    assert (result.status, result.value, result.units, result.abnormal_flag) == (
        "C",
        "25",
        "ug/dl",
        "H",
    )


def test_answers_filed_after_the_specimen() -> None:
    # OBX 2 and 3 follow the SPM: age at collection and employment, asked at order entry
    report = parse_hl7_message(read_one(NIST / "valid/realm/realm-hepatitis-c-virus.hl7"))
    assert report.answers == [("35659-2", "29"), ("11294-6", "food handler")]


@pytest.mark.parametrize(("name", "reason"), sorted(REJECTED_VALID.items()))
def test_valid_structures_we_reject(name: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_hl7_message(read_one(NIST / name))
    assert caught.value.reason == reason
    # (the expected parse of the Athena file holds its MSH only: its segments
    # end with LF, which that parser did not split on)
    assert caught.value.control_id == v(tree_of(NIST / name)["ORU_R01"], "MSH", "MSH.10")


def test_invalid_message() -> None:
    # The manifest lists it as SIU^S12 v2.3.1: a scheduling message with a
    # malformed phone. It is rejected for its type; the phone reads as sent.
    [row] = [r for r in manifest() if r["file"].startswith("invalid/")]
    text = read_one(NIST / row["file"])
    with pytest.raises(Rejected) as caught:
        parse_hl7_message(text)
    assert caught.value.reason == "SIU^S12 is not a lab result (ORU^R01)"
    assert caught.value.control_id == row["control_id"]
    tokens = tokenize(text)
    r = Reader(tokens.delimiters)
    pid = tokens.segments[1]
    phone, _ = read_xtn(r, r.repetitions(pid, 13)[0])
    assert phone == "123 1231234"  # area code 123 does not exist: not made E.164
    assert read_xtn(r, r.repetitions(pid, 13)[1]) == ("", "someemailaddress@yahoo.com")
