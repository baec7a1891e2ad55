"""Lab results in CSV (docs/lab-csv-format.md): ``split_csv`` cuts a file into
rows, ``parse_csv_row`` turns one into a report, ``parse_mapping`` reads ``--map``.
"""

from epitrace.labs.ingest.csv.columns import COLUMNS, REQUIRED, MappingError, parse_mapping
from epitrace.labs.ingest.csv.parse import parse_csv_row
from epitrace.labs.ingest.csv.split import split_csv

__all__ = ["COLUMNS", "REQUIRED", "MappingError", "parse_csv_row", "parse_mapping", "split_csv"]
