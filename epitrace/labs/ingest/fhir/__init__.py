"""FHIR R4 lab reports: ``split_fhir`` cuts a file into messages,
``parse_fhir_message`` turns one into a :class:`~epitrace.labs.ingest.report.LabReport`.
"""

from epitrace.labs.ingest.fhir.parse import parse_fhir_message
from epitrace.labs.ingest.fhir.split import split_fhir

__all__ = ["parse_fhir_message", "split_fhir"]
