"""Field access on tokenised segments, the data types shared by the patient
and result readers (CE/CWE, HD, XCN), and the ORU^R01 group structure.

Every value read through :class:`Reader` is cleaned the same way: surrounding
blanks dropped, the HL7 null ``""`` (meaning "delete the value") read as
empty, escape sequences undone. Positions are 1-based as in the HL7
standard, so ``reader.value(obx, 5, 2)`` is OBX-5.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epitrace.labs.ingest.hl7.escapes import unescape
from epitrace.labs.ingest.hl7.tokens import Delimiters, Repetition, Segment

_HL7_NULL = '""'


class Reader:
    """Read cleaned values out of the segments of one message."""

    __slots__ = ("delimiters",)

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters

    def clean(self, raw: str) -> str:
        raw = raw.strip()
        if raw == _HL7_NULL:
            return ""
        return unescape(raw, self.delimiters).strip()

    def repetitions(self, seg: Segment | None, field_no: int) -> list[Repetition]:
        """The repetitions of SEG-n (an empty list when the field is absent)."""
        if seg is None or field_no >= len(seg.fields):
            return []
        return seg.fields[field_no]

    def first(self, seg: Segment | None, field_no: int) -> Repetition:
        """The first repetition of SEG-n, the one a non-repeating field has."""
        reps = self.repetitions(seg, field_no)
        return reps[0] if reps else []

    def part(self, rep: Repetition, comp: int, sub: int = 1) -> str:
        """Component ``comp``, subcomponent ``sub`` of one repetition, cleaned."""
        if comp > len(rep):
            return ""
        subs = rep[comp - 1]
        if sub > len(subs):
            return ""
        return self.clean(subs[sub - 1])

    def value(self, seg: Segment | None, field_no: int, comp: int = 1, sub: int = 1) -> str:
        """SEG-n.comp.sub of the first repetition, cleaned."""
        return self.part(self.first(seg, field_no), comp, sub)

    def text(self, rep: Repetition) -> str:
        """A whole repetition as one text, putting back the component and
        subcomponent characters: for free-text fields (ST, TX, FT) whose
        sender forgot to escape a '^' or '&'."""
        d = self.delimiters
        comps = [d.subcomponent.join(unescape(s, d) for s in comp) for comp in rep]
        while comps and not comps[-1].strip(d.subcomponent + " "):
            comps.pop()
        text = d.component.join(comps).strip()
        return "" if text == _HL7_NULL else text


@dataclass(frozen=True, slots=True)
class Coded:
    """A CE/CWE/CNE value: identifier, text, coding system, the alternate
    triplet (.4/.5/.6) and, for CWE, the original text (.9)."""

    code: str = ""
    text: str = ""
    system: str = ""
    alt_code: str = ""
    alt_text: str = ""
    alt_system: str = ""
    original_text: str = ""

    @property
    def display(self) -> str:
        return self.text or self.alt_text or self.original_text or self.code or self.alt_code


def read_coded(r: Reader, rep: Repetition) -> Coded:
    # When the primary identifier is empty but the alternate is not (local
    # codes in .1, LOINC in .4 are common; so is the reverse), the alternate
    # takes its place so that callers only ever look at .code first.
    coded = Coded(
        code=r.part(rep, 1),
        text=r.part(rep, 2),
        system=r.part(rep, 3),
        alt_code=r.part(rep, 4),
        alt_text=r.part(rep, 5),
        alt_system=r.part(rep, 6),
        original_text=r.part(rep, 9),
    )
    if coded.code or not coded.alt_code:
        return coded
    return Coded(
        code=coded.alt_code,
        text=coded.alt_text or coded.text,
        system=coded.alt_system,
        original_text=coded.original_text,
    )


def hd_text(namespace: str, universal_id: str) -> str:
    """An HD (hierarchic designator) as ``namespace^universal id``, either
    part alone when the other is missing."""
    if namespace and universal_id:
        return f"{namespace}^{universal_id}"
    return namespace or universal_id


def xcn_name(r: Reader, rep: Repetition) -> str:
    """A person (XCN: ordering provider): "Family, Given", else the id (XCN.1)."""
    family = r.part(rep, 2)  # XCN.2.1 is the surname
    given = r.part(rep, 3)
    if family and given:
        return f"{family}, {given}"
    return family or given or r.part(rep, 1)


@dataclass(slots=True)
class OrderGroup:
    """One ORDER_OBSERVATION group of ORU^R01: an OBR (with the ORC before
    it), its OBX, NTE and SPM segments."""

    obr: Segment | None
    orc: Segment | None
    observations: list[Segment] = field(default_factory=list)
    specimens: list[Segment] = field(default_factory=list)
    notes: list[Segment] = field(default_factory=list)


@dataclass(slots=True)
class Structure:
    msh: Segment
    patients: list[Segment]  # PID segments; ELR allows one
    groups: list[OrderGroup]


def read_structure(segments: list[Segment]) -> Structure:
    """Group the segments of an ORU^R01 message (MSH first).

    Lenient where senders differ: an OBR without its own ORC takes the last
    ORC seen (one ORC for several OBR is common), an OBX or SPM before any
    OBR opens a group without OBR rather than being lost, and segments this
    importer has no use for (SFT, NK1, PV1, TQ1, Z-segments...) are skipped.
    """
    patients: list[Segment] = []
    groups: list[OrderGroup] = []
    current: OrderGroup | None = None
    pending_orc: Segment | None = None
    last_orc: Segment | None = None
    for seg in segments[1:]:
        name = seg.name
        if name == "PID":
            patients.append(seg)
        elif name == "ORC":
            pending_orc = last_orc = seg
        elif name == "OBR":
            current = OrderGroup(obr=seg, orc=pending_orc or last_orc)
            groups.append(current)
            pending_orc = None
        elif name in ("OBX", "SPM"):
            if current is None:
                current = OrderGroup(obr=None, orc=pending_orc or last_orc)
                groups.append(current)
            target = current.observations if name == "OBX" else current.specimens
            target.append(seg)
        elif name == "NTE" and current is not None:
            current.notes.append(seg)
    return Structure(segments[0], patients, groups)
