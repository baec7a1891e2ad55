"""Reading ahead: batches come back in input order, whoever read them."""

from __future__ import annotations

from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.reading import batches, read_ahead, read_batch, unpack_record
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.ingest.synthetic import MessageFactory
from epitrace.people.linkage.record import from_patient


def _items(count: int) -> list[RawItem]:
    texts = MessageFactory(seed=5).stream(count)
    return [RawItem(i, text) for i, text in enumerate(texts, start=1)]


def test_batches_come_back_in_order_from_workers_and_the_writer() -> None:
    # One worker for twelve batches: the reading process reads some itself.
    items = _items(60)
    got = list(read_ahead(batches(items, 5), get_format("hl7").parse, "x.hl7", workers=1))
    assert [batch for batch, _ in got] == list(batches(items, 5))
    assert [e.item.index for _, entries in got for e in entries] == list(range(1, 61))
    assert all(e.report is not None for _, entries in got for e in entries)


def test_the_packed_record_is_the_patients_record() -> None:
    for entry in read_batch(_items(20), get_format("hl7").parse, "x.hl7"):
        assert entry.report is not None
        assert entry.packed_record is not None
        assert unpack_record(entry.packed_record) == from_patient("", entry.report.patient)
