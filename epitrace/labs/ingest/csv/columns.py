"""The columns of the lab-result CSV format (docs/lab-csv-format.md) and ``--map``.

One row is one result of one person. Files with other headers are read by
renaming their columns to ours: ``--map given_name=first,family_name=last``.
"""

from __future__ import annotations

import re

COLUMNS: tuple[str, ...] = (
    # the message
    "control_id",
    "sending_facility",
    "sending_application",
    # the person
    "patient_id",
    "patient_id_authority",
    "patient_id_type",
    "family_name",
    "given_name",
    "middle_name",
    "suffix",
    "birth_date",
    "sex",
    "race",
    "ethnicity",
    "street",
    "unit",
    "city",
    "state",
    "postcode",
    "county",
    "country",
    "phone",
    "email",
    "language",
    "deceased_date",
    # the result
    "test_code",
    "test_code_system",
    "test_name",
    "result",
    "result_code",
    "result_code_system",
    "units",
    "reference_range",
    "abnormal_flag",
    "status",
    "observation_id",
    "accession",
    "specimen_collected_at",
    "specimen_received_at",
    "specimen_type",
    "resulted_at",
    "performing_lab_id",
    "performing_lab_name",
    "ordering_facility",
    "ordering_provider",
    "method",
)
# A header without these cannot make a report; rows may still leave some empty
# (a row is identified by patient_id, or by family_name with birth_date).
REQUIRED: tuple[str, ...] = ("family_name", "given_name", "birth_date", "test_code", "result")


class MappingError(ValueError):
    """A ``--map`` specification that cannot be used; the message says how to fix it."""


def normalise(name: str) -> str:
    """A header name compared loosely: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip()).lower()


def parse_mapping(spec: str) -> dict[str, str]:
    """``given_name=first,family_name=last`` as ``{"given_name": "first", ...}``."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise MappingError(
                f"--map item {part.strip()!r} has no '=': write our_name=their_column"
            )
        ours, theirs = (p.strip() for p in part.split("=", 1))
        key = normalise(ours)
        if key not in COLUMNS:
            hint = f" (did you mean {theirs}={ours}?)" if normalise(theirs) in COLUMNS else ""
            raise MappingError(
                f"--map: {ours!r} is not a column of the lab CSV format{hint}; "
                f"the columns are: {', '.join(COLUMNS)}"
            )
        if not theirs:
            raise MappingError(f"--map: {ours}= names no column of the file")
        if key in mapping:
            raise MappingError(f"--map: {key} is mapped twice")
        mapping[key] = theirs
    if not mapping:
        raise MappingError("--map is empty: write our_name=their_column[,...]")
    return mapping


def header_columns(header: list[str], mapping: dict[str, str] | None) -> list[str]:
    """The name each column of the file has in a row record; raises ``MappingError``.

    Our columns get our names; a mapped column gets the name it is mapped to;
    any other column keeps its own header (stored with the row, not read).
    """
    mapping = mapping or {}
    unknown = [k for k in mapping if normalise(k) not in COLUMNS]
    if unknown:
        raise MappingError(f"--map names columns the format does not have: {', '.join(unknown)}")
    renamed = {normalise(theirs): normalise(ours) for ours, theirs in mapping.items()}
    present = {normalise(h) for h in header}
    absent = [
        f"{theirs!r} (for {ours})"
        for ours, theirs in mapping.items()
        if normalise(theirs) not in present
    ]
    if absent:
        raise MappingError(
            f"--map names columns the file does not have: {', '.join(absent)}; "
            f"its columns are: {', '.join(h.strip() for h in header)}"
        )
    names = [_name(h, renamed) for h in header]
    seen: dict[str, str] = {}
    for name, original in zip(names, header, strict=True):
        if not name:
            continue  # a column without a header (a trailing comma): not read
        if name in seen:
            raise MappingError(
                f"two columns of the file give {name}: {seen[name].strip()!r} and "
                f"{original.strip()!r}"
            )
        seen[name] = original
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise MappingError(
            f"the header lacks required columns: {', '.join(missing)} "
            "(rename them with --map our_name=their_column)"
        )
    return names


def _name(header: str, renamed: dict[str, str]) -> str:
    key = normalise(header)
    if key in renamed:
        return renamed[key]
    return key if key in COLUMNS else header.strip()
