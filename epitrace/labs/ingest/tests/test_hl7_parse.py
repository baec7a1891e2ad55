"""One message -> LabReport: extraction rules and rejections, on small messages."""

from __future__ import annotations

import datetime as dt

import pytest

from epitrace.labs.ingest.hl7 import parse_hl7_message
from epitrace.labs.ingest.hl7.parse import INTERNAL_ERROR
from epitrace.labs.ingest.hl7.tokens import Tokens
from epitrace.labs.ingest.report import LabReport, Rejected

MSH = (
    "MSH|^~\\&|App^1.2.3^ISO|Lab^11D1111111^CLIA|||20210210170737-0500"
    "||ORU^R01^ORU_R01|CTRL1|P|2.5.1"
)
PID = (
    "PID|1||MRN1^^^Hosp&1.2.840&ISO^MR~999^^^&2.16.840.1.113883.4.1&ISO^SS"
    "||Nick^N^^^^^N~Doe^Jane^Q^Jr^^^L||19800102|F||2106-3^White^CDCREC"
    "|1 Main St^Apt 2^Hartford^CT^06103^USA^B^^09003~12 Elm St^^New Haven^CT^06510^USA^H^^09009"
    "||^PRN^PH^^1^860^5551234~^NET^Internet^jane@example.org|^WPN^FX^^1^203^5550000"
    "|spa^Spanish^ISO6392|||||||H^Hispanic^HL70189"
)
OBR = (
    "OBR|1|PLAC1|FILL1|94500-6^SARS-CoV-2 RNA^LN|||20210209083000-0600"
    + "|" * 15
    + "20210210120000-0600|||F"  # OBR-22 results reported, OBR-25 status
)
OBX = (
    "OBX|1|CWE|94500-6^SARS-CoV-2 RNA^LN||260373001^Detected^SCT|||A|||F|||20210209090000-0600"
    "|11D2222222^Other Lab^CLIA||Device_Maker_EUA^^99ELR||20210210110000-0600"
    "||||Test Lab^L^^^^CLIA&2.16.840.1.113883.4.7&ISO^XX^^^11D1111111"
)
SPM = (
    "SPM|1|^SPEC1&Lab||258500001^Nasopharyngeal swab^SCT|||||||||||||"
    "20210209081500-0600|20210209100000-0600"  # SPM-17 collected, SPM-18 received
)


def msg(*segments: str) -> str:
    return "\r".join(segments)


def parse(*segments: str) -> LabReport:
    return parse_hl7_message(msg(*segments))


def reject(*segments: str) -> Rejected:
    with pytest.raises(Rejected) as caught:
        parse_hl7_message(msg(*segments))
    return caught.value


def tz(hours: int) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours))


def test_header() -> None:
    report = parse(MSH, PID, OBR, OBX, SPM)
    assert report.format == "hl7"
    assert report.control_id == "CTRL1"
    assert report.sending_facility == "Lab^11D1111111"
    assert report.sending_application == "App^1.2.3"
    assert report.message_type == "ORU^R01"
    assert report.version == "2.5.1"
    assert report.sent_at == dt.datetime(2021, 2, 10, 17, 7, 37, tzinfo=tz(-5))


def test_patient() -> None:
    p = parse(MSH, PID, OBR, OBX).patient
    assert [(i.value, i.authority, i.type_code) for i in p.identifiers] == [
        ("MRN1", "Hosp", "MR"),
        ("999", "2.16.840.1.113883.4.1", "SS"),
    ]
    # the legal name (XPN.7 = L), not the first repetition
    assert (p.family_name, p.given_name, p.middle_name, p.suffix) == ("Doe", "Jane", "Q", "Jr")
    assert p.birth_date == dt.date(1980, 1, 2)
    assert p.sex == "F"
    assert p.race == "2106-3"
    assert p.ethnicity == "H"
    assert p.language == "spa"
    # the home address (H), not the first (business) one
    assert (p.street, p.unit, p.city, p.state, p.postcode, p.country, p.county) == (
        "12 Elm St",
        "",
        "New Haven",
        "CT",
        "06510",
        "USA",
        "09009",
    )
    assert p.phones == ["+18605551234"]  # the PID-14 fax is no phone to call
    assert p.emails == ["jane@example.org"]
    assert p.deceased_date is None
    assert p.species == ""


def test_result() -> None:
    [r] = parse(MSH, PID, OBR, OBX, SPM).results
    assert (r.test_code, r.test_code_system, r.test_name) == ("94500-6", "LN", "SARS-CoV-2 RNA")
    assert (r.value, r.value_type, r.value_code, r.value_code_system) == (
        "Detected",
        "CWE",
        "260373001",
        "SCT",
    )
    assert (r.abnormal_flag, r.status) == ("A", "F")
    assert r.accession == "FILL1"
    # SPM-17 wins over OBR-7; SPM-18 is the receipt
    assert r.specimen_collected_at == dt.datetime(2021, 2, 9, 8, 15, tzinfo=tz(-6))
    assert r.specimen_received_at == dt.datetime(2021, 2, 9, 10, 0, tzinfo=tz(-6))
    assert r.specimen_type == "258500001"
    assert r.resulted_at == dt.datetime(2021, 2, 10, 11, 0, tzinfo=tz(-6))  # OBX-19
    assert (r.performing_lab_id, r.performing_lab_name) == ("11D1111111", "Test Lab")
    assert r.method == "Device_Maker_EUA"


def test_fallbacks_without_spm_and_obx19() -> None:
    obx = "OBX|1|NM|10368-9^Lead^LN||5|ug/dL|||||F|||20210209090000|PRODID^Producer Lab^CLIA"
    [r] = parse(MSH, PID, OBR, obx).results
    assert r.specimen_collected_at == dt.datetime(2021, 2, 9, 8, 30, tzinfo=tz(-6))  # OBR-7
    assert r.resulted_at == dt.datetime(2021, 2, 9, 9, 0)  # OBX-14, naive: no offset sent
    assert (r.performing_lab_id, r.performing_lab_name) == ("PRODID", "Producer Lab")  # OBX-15
    assert (r.value, r.units) == ("5", "ug/dL")
    bare = "OBX|1|NM|10368-9^Lead^LN||5|ug/dL|||||F"
    [r] = parse(MSH, PID, OBR, bare).results
    assert r.resulted_at == dt.datetime(2021, 2, 10, 12, 0, tzinfo=tz(-6))  # OBR-22


def test_accession_fallbacks() -> None:
    no_filler = OBR.replace("|FILL1|", "||")
    assert parse(MSH, PID, no_filler, OBX).results[0].accession == "PLAC1"
    no_order_numbers = no_filler.replace("|PLAC1|", "||")
    assert parse(MSH, PID, no_order_numbers, OBX, SPM).results[0].accession == "SPEC1"


def test_several_orders_each_with_its_observations() -> None:
    orc = "ORC|RE|||||||||||1234^Admit^Alan|||||||||Clinic One"
    obr2 = "OBR|2||FILL2|94558-4^SARS-CoV-2 Ag^LN|||20210301100000"
    obx2 = "OBX|1|CWE|94558-4^SARS-CoV-2 Ag^LN||260415000^Not detected^SCT||||||F"
    obx3 = "OBX|2|CWE|94559-2^SARS-CoV-2 ORF1ab^LN||260415000^Not detected^SCT||||||P"
    report = parse(MSH, PID, orc, OBR, OBX, SPM, obr2, obx2, obx3, "ZXT|custom|stuff")
    assert [(r.test_code, r.accession, r.status) for r in report.results] == [
        ("94500-6", "FILL1", "F"),
        ("94558-4", "FILL2", "F"),
        ("94559-2", "FILL2", "P"),
    ]
    # the one ORC applies to both OBR; the second order has no SPM
    assert {r.ordering_facility for r in report.results} == {"Clinic One"}
    assert {r.ordering_provider for r in report.results} == {"Admit, Alan"}
    assert report.results[1].specimen_collected_at == dt.datetime(2021, 3, 1, 10, 0)


def test_values_by_type() -> None:
    obx = [
        "OBX|1|SN|5198-7^HCV Ab^LN||>^11.0|s/co",
        "OBX|2|SN|5199-5^Titer^LN||^1^:^128",
        "OBX|3|SN|5200-1^MIC^LN||=^0.5",
        "OBX|4|TX|5201-9^Comment^LN||first line~second \\T\\ line",
        "OBX|5|ST|5202-7^Note^LN||unescaped ^ caret",
        "OBX|6|CWE|5203-5^Organism^LN||^Campylobacter jejuni^SCT",
        "OBX|7|CWE|5204-3^Local^LN||^^^POS^Positive^L",
        "OBX|8|ED|5205-0^Image^LN||^IM^JPEG^Base64^AAAA",
        "OBX|9|DT|5206-8^Date^LN||20210101",
        "OBX|10|FT|5207-6^Text^LN||a\\.br\\b",
    ]
    results = parse(MSH, PID, OBR, *obx).results
    assert [(r.value, r.value_code, r.value_code_system) for r in results] == [
        (">11.0", "", ""),
        ("1:128", "", ""),
        ("0.5", "", ""),
        ("first line\nsecond & line", "", ""),
        ("unescaped ^ caret", "", ""),
        ("Campylobacter jejuni", "", ""),  # no code, so no code system either
        ("Positive", "POS", "L"),  # the alternate triplet stands in for an empty primary
        ("", "", ""),
        ("20210101", "", ""),
        ("a\nb", "", ""),
    ]


def test_test_code_from_the_alternate_triplet() -> None:
    obx = "OBX|1|CWE|^^^94500-6^SARS-CoV-2 RNA^LN||260373001^Detected^SCT||||||F"
    [r] = parse(MSH, PID, OBR, obx).results
    assert (r.test_code, r.test_code_system, r.test_name) == ("94500-6", "LN", "SARS-CoV-2 RNA")


def test_obx_without_test_code_is_skipped() -> None:
    report = parse(MSH, PID, OBR, "OBX|1|ST|||orphan value", OBX)
    assert [r.test_code for r in report.results] == ["94500-6"]


def test_ask_at_order_entry_answers() -> None:
    questions = [
        # OBX-29 QST marks a question whatever its code
        "OBX|2|CWE|12345-6^Some question^LN||Y^Yes^HL70136||||||F" + "|" * 18 + "QST",
        # a known AOE LOINC without OBX-29
        "OBX|3|CWE|95419-8^Has symptoms^LN||N^No^HL70136||||||F",
        "OBX|4|DT|11368-8^Illness onset^LN||20210205||||||F",
        # OBX-29 RSLT overrides the list
        "OBX|5|NM|30525-0^Age^LN||44|a|||||F" + "|" * 18 + "RSLT",
        # OBX-29 AOE, table 0936's other answer type
        "OBX|6|ST|99999-9^Local question^L||yes||||||F" + "|" * 18 + "AOE",
    ]
    notes = [
        "NTE|1|L|82810-3 Pregnancy status: Not pregnant 60001007 SCT",
        "NTE|2|L|95419-8 Has symptoms related to condition of interest: Yes Y HL70136",
        "NTE|3|L|11294-6 Current employment: food handler",
        "NTE|4|L|Specimen received in good condition: yes",
    ]
    report = parse(MSH, PID, OBR, OBX, *questions, *notes, SPM)
    assert [r.test_code for r in report.results] == ["94500-6", "30525-0"]
    assert report.answers == [
        ("12345-6", "Y"),
        ("95419-8", "N"),  # the OBX answer; the NTE repeating it is not counted twice
        ("11368-8", "20210205"),
        ("99999-9", "yes"),
        ("82810-3", "60001007"),
        ("11294-6", "food handler"),
    ]


@pytest.mark.parametrize(
    ("sex", "expected"),
    [("M", "M"), ("F", "F"), ("O", "O"), ("U", "U"), ("A", "O"), ("N", "U"), ("", "U"), ("X", "U")],
)
def test_sex(sex: str, expected: str) -> None:
    pid = f"PID|1||MRN1||Doe^Jane||19800102|{sex}"
    assert parse(MSH, pid, OBR, OBX).patient.sex == expected


def test_birth_date_needs_day_precision() -> None:
    pid = "PID|1||MRN1||Doe^Jane||1980"
    assert parse(MSH, pid, OBR, OBX).patient.birth_date is None


def test_death_date_and_v23_county_and_phone() -> None:
    pid = (
        "PID|1||MRN1||DOE^JOHN||19400101|M|||9 Oak Rd^^Bristol^CT^06010|HARTFORD|(555)555-0100"
        + "|" * 16
        + "20210315083000"
    )
    p = parse(MSH.replace("2.5.1", "2.3"), pid, OBR, OBX).patient
    assert p.county == "HARTFORD"  # PID-12, the v2.3 county
    assert p.phones == ["(555)555-0100"]  # no such area code: not valid, kept as sent
    assert p.deceased_date == dt.date(2021, 3, 15)


def test_escapes_and_message_delimiters() -> None:
    msh = "MSH|^~\\&#|App|Lab|||20210210||ORU^R01|CTRL2|P|2.7"
    pid = "PID|1||MRN\\T\\1||O\\S\\Brien^Se\\XC3A1\\n||19800102|M"
    p = parse(msh, pid, OBR, OBX).patient
    assert p.identifiers[0].value == "MRN&1"
    assert (p.family_name, p.given_name) == ("O^Brien", "Se\u00e1n")


def test_odd_delimiters() -> None:
    msh = "MSH!@*$%!App!Lab!!!20210210!!ORU@R01!CTRL3!P!2.5.1"
    pid = "PID!1!!MRN1@@@Hosp%1.2%ISO@MR!!Doe@Jane!!19800102!F"
    obr = "OBR!1!!FILL1!94500-6@RNA@LN"
    obx = "OBX!1!ST!94500-6@RNA@LN!!a$F$b!!!!!!F"
    report = parse(msh, pid, obr, obx)
    assert report.patient.identifiers[0].authority == "Hosp"
    assert report.results[0].value == "a!b"


def test_null_values_read_as_empty() -> None:
    pid = 'PID|1||MRN1||Doe^""||19800102|F|||""^^Hartford^CT'
    p = parse(MSH, pid, OBR, OBX).patient
    assert (p.given_name, p.street, p.city) == ("", "", "Hartford")


@pytest.mark.parametrize(
    ("msh9", "reason"),
    [
        ("ADT^A01", "ADT^A01 is not a lab result (ORU^R01)"),
        ("ORM^O01^ORM_O01", "ORM^O01 is not a lab result (ORU^R01)"),
        ("ORU^R30", "ORU^R30 is not a lab result (ORU^R01)"),
        ("", "no message type (MSH-9 is empty); expected ORU^R01"),
    ],
)
def test_other_message_types_are_rejected(msh9: str, reason: str) -> None:
    rejected = reject(MSH.replace("ORU^R01^ORU_R01", msh9), PID, OBR, OBX)
    assert rejected.reason == reason
    assert rejected.control_id == "CTRL1"


def test_oru_without_trigger_counts_as_r01() -> None:
    assert parse(MSH.replace("ORU^R01^ORU_R01", "ORU^^ORU_R01"), PID, OBR, OBX).results


def test_missing_or_repeated_patient() -> None:
    assert "no PID" in reject(MSH, OBR, OBX).reason
    assert "2 patients" in reject(MSH, PID, OBR, OBX, PID, OBR, OBX).reason


def test_no_result() -> None:
    assert reject(MSH, PID, OBR).reason == "no test result: no OBX with a test code (OBX-3)"
    only_answer = "OBX|1|CWE|95419-8^Has symptoms^LN||N^No^HL70136||||||F"
    assert "only answers" in reject(MSH, PID, OBR, only_answer).reason


def test_animal_subject_is_rejected() -> None:
    pid = PID + "|" * 13 + "44696006^Beagle^SCT"
    rejected = reject(MSH, pid, OBR, OBX)
    assert "not a person" in rejected.reason
    assert "Beagle" in rejected.reason
    human = PID + "|" * 13 + "337915000^Homo sapiens^SCT"
    assert parse(MSH, human, OBR, OBX).results
    breed_only = PID + "|" * 14 + "BEA^Beagle^L"
    assert "'Beagle'" in reject(MSH, breed_only, OBR, OBX).reason


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PID|1||x",
        "MSH",
        "MSH|",
        "MSH|^~\\&",
        "MSH|^~|App",
        "MSH|^~\\&&|App",
        "MSHX|^~\\&|App",
        "\x00\x01\x02",
    ],
)
def test_unreadable_text_is_rejected(text: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_hl7_message(text)
    assert caught.value.reason
    assert not caught.value.reason.startswith(INTERNAL_ERROR)


def test_crlf_and_blank_lines_in_one_message() -> None:
    report = parse_hl7_message("\r\n\r\n".join([MSH, PID, "", OBR, OBX]) + "\n")
    assert report.results[0].test_code == "94500-6"


def test_a_reader_bug_rejects_only_that_message() -> None:
    def broken(text: str) -> Tokens:
        raise KeyError("boom")

    with pytest.raises(Rejected) as caught:
        parse_hl7_message(msg(MSH, PID, OBR, OBX), tokenizer=broken)
    assert caught.value.reason.startswith(INTERNAL_ERROR)
