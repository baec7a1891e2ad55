"""The person of an ORU^R01: PID and its data types (CX, XPN, XAD, XTN).

Choices made where HL7 leaves room, so the pipeline knows what it gets:

- identifiers: every PID-3 repetition with a value; the authority is the
  CX.4 namespace (HD.1), else its universal id (HD.2);
- name: the first legal name (XPN.7 = L) that has a family or given name,
  else the first name that has one (an animal's owner-given name, PID-5 "N",
  is still a name);
- birth and death dates: kept only with day precision (PID-7 "1980" gives
  no birth date rather than an invented 1 January);
- address: the first home address (XAD.7 = H), else the best other one
  (current, permanent, legal, untyped, mailing...), never one flagged bad
  (BA) or a birth place; XAD.1 street line with the street name (SAD.2)
  appended when SAD.1 holds only a house number; XAD.9 county, else PID-12;
- phones: PID-13, PID-14 and PID-40 (v2.7) voice numbers, E.164 when
  ``phonenumbers`` calls them valid (region US by default), otherwise the
  number as sent; fax, pager and modem entries are skipped; e-mail from
  XTN.4 (XTN.3 Internet/X.400, XTN.2 NET, or an '@' with no XTN.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from epitrace.labs.ingest.hl7.segments import Reader, read_coded
from epitrace.labs.ingest.hl7.timestamps import parse_date
from epitrace.labs.ingest.hl7.tokens import Repetition, Segment
from epitrace.labs.ingest.report import Identifier, Patient

DEFAULT_PHONE_REGION = "US"

# HL7 table 0001 (sex); A (ambiguous) and N (not applicable) fold into O and U.
_SEX = {"M": "M", "F": "F", "O": "O", "U": "U", "A": "O", "N": "U", "MALE": "M", "FEMALE": "F"}
# HL7 table 0190 (address type): lower is preferred for the residence;
# types that are not where the person lives are never chosen.
_ADDRESS_RANK = {"H": 0, "C": 1, "P": 1, "L": 1, "RH": 1, "": 2, "M": 3}
_ADDRESS_OTHER_RANK = 4
_NOT_A_RESIDENCE = frozenset({"BA", "BDL", "BR", "N", "F", "TM"})
# HL7 table 0202 (telecommunication equipment type)
_EMAIL_EQUIPMENT = frozenset({"INTERNET", "X.400"})
_NOT_VOICE = frozenset({"FX", "BP", "MD"})
# SNOMED CT 337915000 |Homo sapiens|: PID-35 (species, v2.5+) is sent for
# animal subjects (rabies, zoonoses) and sometimes, as this, for people.
# Results about animals (the ELR guide's rabies example) are not cases.
_HUMAN_SPECIES = frozenset({"337915000", "human", "homo sapiens", "homo sapiens (organism)"})


@dataclass(frozen=True, slots=True)
class Address:
    street: str = ""
    unit: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    county: str = ""
    type_code: str = ""  # XAD.7

    def is_empty(self) -> bool:
        return not (self.street or self.unit or self.city or self.state or self.postcode)


def read_patient(r: Reader, pid: Segment) -> Patient:
    """Everything the report keeps from one PID segment."""
    name = _pick_name(r, r.repetitions(pid, 5))
    patient = Patient(
        identifiers=[i for rep in r.repetitions(pid, 3) if (i := read_cx(r, rep)) is not None],
        family_name=r.part(name, 1),  # XPN.1.1, the surname
        given_name=r.part(name, 2),
        middle_name=r.part(name, 3),
        suffix=r.part(name, 4),
        birth_date=parse_date(r.value(pid, 7)),
        sex=_sex(r.value(pid, 8)),
        race=_code_or_text(r, r.first(pid, 10)),
        ethnicity=_code_or_text(r, r.first(pid, 22)),
        language=_code_or_text(r, r.first(pid, 15)),
        deceased_date=parse_date(r.value(pid, 29)),
        species=non_human_species(r, pid),
    )
    _fill_address(r, pid, patient)
    _fill_telecom(r, pid, patient)
    return patient


def non_human_species(r: Reader, pid: Segment) -> str:
    """The species (PID-35) when it is not ours, else the breed (PID-36,
    only ever sent for animals) when there is one, else ''."""
    species = read_coded(r, r.first(pid, 35))
    names = {species.code.lower(), species.text.lower(), species.alt_code.lower()} - {""}
    if names:
        return "" if names & _HUMAN_SPECIES else species.display
    return read_coded(r, r.first(pid, 36)).display


def read_cx(r: Reader, rep: Repetition) -> Identifier | None:
    """A CX identifier (PID-3): value, assigning authority, identifier type."""
    value = r.part(rep, 1)
    if not value:
        return None
    authority = r.part(rep, 4, 1) or r.part(rep, 4, 2)  # HD namespace, else universal id
    return Identifier(value=value, authority=authority, type_code=r.part(rep, 5))


def read_xad(r: Reader, rep: Repetition) -> Address:
    """An XAD address. SAD.2 (street name) is appended to SAD.1 when the
    sender split the line and SAD.1 lacks it (``4861&20TH AVE``)."""
    street = r.part(rep, 1, 1)
    street_name = r.part(rep, 1, 2)
    if street_name and street_name not in street:
        street = f"{street} {street_name}".strip()
    return Address(
        street=street,
        unit=r.part(rep, 2),
        city=r.part(rep, 3),
        state=r.part(rep, 4),
        postcode=r.part(rep, 5),  # kept as sent: ZIP+4 and foreign codes alike
        country=r.part(rep, 6),
        county=r.part(rep, 9),
        type_code=r.part(rep, 7).upper(),
    )


def pick_address(r: Reader, reps: list[Repetition]) -> Address | None:
    """The residence among the repetitions of an XAD field (see module docstring)."""
    best: Address | None = None
    best_rank = _ADDRESS_OTHER_RANK + 1
    for rep in reps:
        address = read_xad(r, rep)
        if address.is_empty() or address.type_code in _NOT_A_RESIDENCE:
            continue
        rank = _ADDRESS_RANK.get(address.type_code, _ADDRESS_OTHER_RANK)
        if rank < best_rank:
            best, best_rank = address, rank
    return best


def read_xtn(r: Reader, rep: Repetition) -> tuple[str, str]:
    """One XTN as ``(phone, email)``, either may be ''."""
    use = r.part(rep, 2).upper()
    equipment = r.part(rep, 3).upper()
    address = r.part(rep, 4)
    if equipment in _EMAIL_EQUIPMENT or use == "NET":
        return "", address
    email = address if not equipment and "@" in address else ""
    if equipment in _NOT_VOICE:
        return "", email
    return _phone(r, rep), email


def normalise_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """``raw`` in E.164 when it is a valid number, else None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(r: Reader, rep: Repetition) -> str:
    # XTN.12 (unformatted, v2.5+), then country/area/local (XTN.5/6/7), then
    # the free-text XTN.1 of v2.3: the first valid one wins; if none is
    # valid the first one given is kept as sent, for a person to look at.
    candidates: list[tuple[str, str]] = []  # (as sent, as dialled)
    unformatted = r.part(rep, 12)
    if unformatted:
        candidates.append((unformatted, unformatted))
    country, area, local = r.part(rep, 5), r.part(rep, 6), r.part(rep, 7)
    if local:
        sent = " ".join(p for p in (country, area, local) if p)
        dialled = f"+{country.lstrip('+')}{area}{local}" if country else f"{area}{local}"
        candidates.append((sent, dialled))
    free_text = r.part(rep, 1)
    if free_text:
        candidates.append((free_text, free_text))
    for _, dialled in candidates:
        e164 = normalise_phone(dialled)
        if e164:
            return e164
    return candidates[0][0] if candidates else ""


def _pick_name(r: Reader, reps: list[Repetition]) -> Repetition:
    named = [rep for rep in reps if r.part(rep, 1) or r.part(rep, 2)]
    for rep in named:
        if r.part(rep, 7).upper() == "L":
            return rep
    return named[0] if named else []


def _fill_address(r: Reader, pid: Segment, patient: Patient) -> None:
    address = pick_address(r, r.repetitions(pid, 11))
    if address is None:
        return
    patient.street = address.street
    patient.unit = address.unit
    patient.city = address.city
    patient.state = address.state
    patient.postcode = address.postcode
    patient.country = address.country
    patient.county = address.county or r.value(pid, 12)  # PID-12: county code, v2.3-2.5


def _fill_telecom(r: Reader, pid: Segment, patient: Patient) -> None:
    # PID-13 home, PID-14 business, PID-40 (v2.7) the newer single field.
    for field_no in (13, 14, 40):
        for rep in r.repetitions(pid, field_no):
            phone, email = read_xtn(r, rep)
            if phone and phone not in patient.phones:
                patient.phones.append(phone)
            if email and email not in patient.emails:
                patient.emails.append(email)


def _sex(raw: str) -> str:
    return _SEX.get(raw.upper(), "U")


def _code_or_text(r: Reader, rep: Repetition) -> str:
    coded = read_coded(r, rep)
    return coded.code or coded.text
