"""Realistic synthetic ORU^R01 messages, for load and crash tests.

Deterministic for a seed: varied persons (names of several languages, birth
dates, addresses in the demo state's towns when loaded, phones), PCR and
antigen SARS-CoV-2 tests with a share of positives, specimen times with an
offset, and a unique control id per message. ``existing`` persons can be
re-used with the variations real feeds have (a middle initial, a lower-case
name, a new phone) to exercise person matching.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from epitrace.seed.world import AREA_CODES, PERFORMING_LABS, load_names

TESTS = [
    ("94500-6", "SARS-CoV-2 RNA Resp Ql NAA+probe"),
    ("94309-2", "SARS-CoV-2 RNA Spec Ql NAA+probe"),
    ("94558-4", "SARS-CoV-2 Ag Resp Ql IA.rapid"),
    ("95209-3", "SARS-CoV+SARS-CoV-2 Ag Resp Ql IA.rapid"),
]
STREETS = ["Maple", "Oak", "Elm", "Main", "High", "Church", "Mill", "Pleasant"]
POSITIVE = ("260373001", "Detected")
NEGATIVE = ("260415000", "Not detected")


@dataclass(frozen=True)
class SyntheticPerson:
    family: str
    given: str
    birth: dt.date
    sex: str
    street: str
    city: str
    state: str
    postcode: str
    phone: str
    mrn: str


class MessageFactory:
    def __init__(
        self, seed: int = 1, towns: Sequence[tuple[str, str]] = (), state: str = "XS"
    ) -> None:
        self.rng = random.Random(seed)
        self.names = load_names()
        self.towns = list(towns) or [("Springfield", "06100")]
        self.state = state
        self.count = 0

    def person(self) -> SyntheticPerson:
        r = self.rng
        language = r.choices(
            list(self.names), weights=[10 if k == "en" else 2 for k in self.names]
        )[0]
        bucket = self.names[language]
        sex = r.choice("FM")
        town, postcode = r.choice(self.towns)
        return SyntheticPerson(
            family=r.choice(bucket.family),
            given=r.choice(bucket.female if sex == "F" else bucket.male),
            birth=dt.date(1930, 1, 1) + dt.timedelta(days=r.randint(0, 33000)),
            sex=sex,
            street=f"{r.randint(1, 999)} {r.choice(STREETS)} Street",
            city=town,
            state=self.state,
            postcode=postcode,
            phone=f"{r.choice(AREA_CODES)}{r.randint(200, 989)}{r.randint(0, 9999):04d}",
            mrn=f"MRN{r.randint(10**7, 10**8 - 1)}",
        )

    def message(
        self,
        person: SyntheticPerson,
        *,
        positive: bool,
        collected: dt.datetime,
        lab: tuple[str, str] | None = None,
    ) -> str:
        self.count += 1
        r = self.rng
        loinc, name = r.choice(TESTS)
        code, text = POSITIVE if positive else NEGATIVE
        clia, lab_name = lab or r.choice(PERFORMING_LABS)
        control = f"SYN{self.count:09d}{r.randint(0, 9999):04d}"
        stamp = collected.strftime("%Y%m%d%H%M%S%z")
        resulted = (collected + dt.timedelta(hours=r.randint(1, 30))).strftime("%Y%m%d%H%M%S%z")
        accession = f"ACC{self.count:010d}"
        segments = [
            f"MSH|^~\\&|LIS^2.16.840.1.114222.4.1.1^ISO|{lab_name}^{clia}^CLIA|EPITRACE|STATE|"
            f"{resulted}||ORU^R01^ORU_R01|{control}|P|2.5.1|||NE|NE|USA",
            f"PID|1||{person.mrn}^^^{lab_name}&{clia}&CLIA^MR||{person.family}^{person.given}||"
            f"{person.birth:%Y%m%d}|{person.sex}||2106-3^White^CDCREC|{person.street}^^{person.city}^"
            f"{person.state}^{person.postcode}^USA^H||^PRN^PH^^1^{person.phone[:3]}^{person.phone[3:]}",
            f"ORC|RE|{accession}|{accession}|||||||||1234567890^Clinician^Pat|||||||||"
            f"Main Street Clinic",
            f"OBR|1|{accession}|{accession}|{loinc}^{name}^LN|||{stamp}|||||||||"
            f"1234567890^Clinician^Pat||||||{resulted}|||F",
            f"OBX|1|CWE|{loinc}^{name}^LN||{code}^{text}^SCT||||||F|||{stamp}|||||{resulted}||||"
            f"{lab_name}^^^^^CLIA&2.16.840.1.113883.4.7&ISO^^^^{clia}",
            f"SPM|1|{accession}||258500001^Nasopharyngeal swab^SCT|||||||||||||{stamp}|{stamp}",
        ]
        return "\r".join(segments) + "\r"

    def stream(
        self, n: int, *, positive_share: float = 0.2, start: dt.datetime | None = None
    ) -> Iterator[str]:
        start = start or dt.datetime(2026, 1, 5, 8, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
        for i in range(n):
            collected = start + dt.timedelta(minutes=7 * i + self.rng.randint(0, 6))
            yield self.message(
                self.person(), positive=self.rng.random() < positive_share, collected=collected
            )


def batch_file(messages: Iterator[str] | Sequence[str]) -> bytes:
    """Messages as an HL7 batch file (FHS/BHS ... BTS/FTS), as surveillance systems send them."""
    body = list(messages)
    head = "FHS|^~\\&|SURV|STATE|EPITRACE|STATE\rBHS|^~\\&|SURV|STATE|EPITRACE|STATE\r"
    tail = f"BTS|{len(body)}\rFTS|1\r"
    return (head + "".join(body) + tail).encode()
