"""The formats the importer reads, and how to tell them apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from epitrace.labs.ingest.report import LabReport, RawItem

FORMATS = ("hl7", "fhir", "csv")


@dataclass(frozen=True)
class Format:
    name: str
    split: Callable[[bytes], Iterator[RawItem]]
    parse: Callable[[str], LabReport]


def get_format(name: str, mapping: dict[str, str] | None = None) -> Format:
    if name == "hl7":
        from epitrace.labs.ingest.hl7.parse import parse_hl7_message
        from epitrace.labs.ingest.hl7.split import split_hl7

        return Format("hl7", split_hl7, parse_hl7_message)
    if name == "fhir":
        from epitrace.labs.ingest.fhir import parse_fhir_message, split_fhir

        return Format("fhir", split_fhir, parse_fhir_message)
    if name == "csv":
        from epitrace.labs.ingest.csv import parse_csv_row, split_csv

        return Format("csv", lambda data: split_csv(data, mapping), parse_csv_row)
    raise ValueError(f"unknown format {name!r}; use one of {', '.join(FORMATS)}")


def sniff(data: bytes, filename: str = "") -> str:
    """hl7, fhir or csv, from the first bytes (and the file name when they are ambiguous)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"\x0b", b"MSH", b"FHS", b"BHS")):
        return "hl7"
    if head.startswith((b"{", b"[")):
        return "fhir"
    lower = filename.lower()
    if lower.endswith((".hl7", ".txt", ".er7")):
        return "hl7"
    if lower.endswith((".json", ".ndjson", ".fhir")):
        return "fhir"
    return "csv"
