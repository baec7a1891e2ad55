"""HL7 v2 lab results (ORU^R01, v2.3 to v2.5.1, v2.6/2.7 when they parse).

``split_hl7`` cuts a file or stream into messages; ``parse_hl7_message``
turns one message into a :class:`~epitrace.labs.ingest.report.LabReport` or
raises :class:`~epitrace.labs.ingest.report.Rejected`.

Layers, so that the tokenizer can be swapped for a faster one: ``split``
(bytes -> message texts), ``tokens`` (text -> segments/fields, the only
module that knows python-hl7), ``segments``/``patient``/``results`` (fields
-> report), with ``escapes`` and ``timestamps`` for the value syntax.
"""

from epitrace.labs.ingest.hl7.parse import parse_hl7_message
from epitrace.labs.ingest.hl7.split import split_hl7

__all__ = ["parse_hl7_message", "split_hl7"]
