"""``epitrace audit verify``: recompute every chain and name what was tampered with.

For each chain (one day and writer slot), in sequence order:

- each row's keyed hash is recomputed from its fields: a mismatch is an
  altered row (or a forged one: without the key nobody can make it match);
- each row must link to the previous row's hash (the first to the ledger's
  genesis hash) and sequence numbers must run 1, 2, 3... without gap or
  duplicate: a gap is a deleted row, a duplicate or a broken link an inserted
  one;
- the chain head must stand on the last row: a head ahead of the rows means
  the tail was deleted;
- every signed checkpoint, in the table and in the file outside the database,
  must carry a valid signature, and the row it sealed must still be there
  with the same hash: this catches a tail deleted together with its head;
- each payload must match its event's digest; a missing payload is accepted
  only when a (valid) purge event lists the event's person as erased.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from django.db import connection

from epitrace.audit import conf, triggers
from epitrace.audit.checkpoints import Checkpoint, read_file
from epitrace.audit.choices import Action
from epitrace.audit.hashing import event_hash, genesis_hash, ledger_mac, payload_digest
from epitrace.audit.keys import Keyring, keyring
from epitrace.audit.models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditLedger,
    AuditPayload,
)


@dataclass(frozen=True)
class Problem:
    chain: str | None
    seq: int | None
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"chain {self.chain or '-'} seq {self.seq if self.seq is not None else '-'}"
        return (
            f"{where} event {self.event_id if self.event_id is not None else '-'}: {self.problem}"
        )


@dataclass
class Report:
    events: int = 0
    chains: int = 0
    checkpoints: int = 0
    erased_payloads: int = 0
    problems: list[Problem] = field(default_factory=list)
    _seen: set[Problem] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, chain: str | None, seq: int | None, event_id: int | None, text: str) -> None:
        """Record a problem once, however many checks (table, file, head) find it."""
        problem = Problem(chain, seq, event_id, text)
        if problem not in self._seen:
            self._seen.add(problem)
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "chains": self.chains,
            "checkpoints": self.checkpoints,
            "erased_payloads": self.erased_payloads,
            "problems": [asdict(p) for p in self.problems],
        }


@dataclass
class _Chain:
    """What the walk of one chain learnt: its last row and the hash at each seq."""

    last_seq: int = 0
    last_hash: str | None = None
    last_id: int | None = None
    hashes: dict[int, str] = field(default_factory=dict)


def verify(checkpoint_path: Path | None = None) -> Report:
    keys = keyring()
    report = Report()
    ledger = _check_ledger(keys, report)
    checkpoints = _checkpoints(keys, ledger, checkpoint_path, report)
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    purged = _purged_persons(keys)
    with_rows = set(AuditEvent.objects.order_by("chain").values_list("chain", flat=True).distinct())
    for name in sorted(with_rows | set(heads) | set(checkpoints)):
        walked = _walk(name, ledger, keys, purged, report) if name in with_rows else _Chain()
        head = heads.get(name)
        if walked.last_seq or (head is not None and head.last_seq):
            report.chains += 1
        _check_head(name, head, walked, ledger, report)
        _check_checkpoints(name, checkpoints.get(name, []), walked, report)
    _check_orphan_payloads(report)
    for trigger in triggers.missing(connection):
        report.add(None, None, None, f"the append-only trigger {trigger} is missing or disabled")
    return report


# --- Ledger and purge coverage -----------------------------------------------


def _check_ledger(keys: Keyring, report: Report) -> str | None:
    rows = list(AuditLedger.objects.all())
    if not rows:
        if AuditEvent.objects.exists() or AuditChainHead.objects.exists():
            report.add(None, None, None, "the ledger row is missing (deleted)")
        return None
    if len(rows) > 1:
        report.add(None, None, None, f"{len(rows)} ledger rows where there must be one")
    row = rows[0]
    key = keys.chain_keys.get(row.key_id)
    if key is None:
        report.add(None, None, None, f"the ledger was made with an unknown key {row.key_id}")
    elif ledger_mac(key, row.ledger, row.created_at) != row.mac:
        report.add(None, None, None, "the ledger row was altered")
    return row.ledger


def _purged_persons(keys: Keyring) -> set[int]:
    """Persons whose payloads a valid purge event says were erased."""
    persons: set[int] = set()
    for event in AuditEvent.objects.filter(action=Action.PURGE).select_related("payload"):
        key = keys.chain_keys.get(event.key_id)
        body = _body(event)
        if key is None or body is None or event_hash(key, event) != event.hash:
            continue
        if payload_digest(key, body) != event.payload_digest:
            continue
        erased = json.loads(body).get("erased_persons", [])
        persons.update(pk for pk in erased if isinstance(pk, int))
    return persons


def _body(event: AuditEvent) -> str | None:
    try:
        return event.payload.body
    except AuditPayload.DoesNotExist:
        return None


# --- One chain ------------------------------------------------------------------


def _walk(name: str, ledger: str | None, keys: Keyring, purged: set[int], report: Report) -> _Chain:
    rows = AuditEvent.objects.filter(chain=name).order_by("seq", "id")
    bodies = dict(AuditPayload.objects.filter(event__chain=name).values_list("event_id", "body"))
    walked = _Chain()
    prev = genesis_hash(ledger, name) if ledger else None
    expected = 1
    for seq, group in groupby(rows.iterator(chunk_size=2000), key=lambda row: row.seq):
        rows_at_seq = list(group)
        report.events += len(rows_at_seq)
        gap = seq > expected
        if gap:
            report.add(name, expected, None, _missing(expected, seq - 1, "deleted"))
        genuine = _check_rows(name, rows_at_seq, prev, keys, report, after_gap=gap)
        for row in rows_at_seq:
            _check_payload(row, bodies.get(row.pk), keys, purged, report)
        kept = genuine or rows_at_seq[-1]
        prev = kept.hash
        walked.hashes[seq] = kept.hash
        walked.last_seq, walked.last_hash, walked.last_id = seq, kept.hash, kept.pk
        expected = seq + 1
    return walked


def _missing(first: int, last: int, how: str) -> str:
    rows = f"row {first} is" if first == last else f"rows {first}..{last} are"
    return f"{rows} missing ({how})"


def _check_rows(
    name: str,
    rows: list[AuditEvent],
    prev: str | None,
    keys: Keyring,
    report: Report,
    *,
    after_gap: bool,
) -> AuditEvent | None:
    """Report bad rows at one seq; return the sound row the chain goes on from, if any."""
    genuine: AuditEvent | None = None
    for row in rows:
        key = keys.chain_keys.get(row.key_id)
        if key is None:
            report.add(name, row.seq, row.pk, f"made with an unknown key id {row.key_id!r}")
        elif event_hash(key, row) != row.hash:
            report.add(name, row.seq, row.pk, "altered: the row does not match its hash")
        elif prev is not None and row.prev_hash != prev and not after_gap:
            text = "broken link: not chained to the previous row (inserted?)"
            report.add(name, row.seq, row.pk, text)
        elif genuine is not None:
            report.add(name, row.seq, row.pk, "inserted: a second row with this seq")
        else:
            genuine = row
    return genuine


def _check_payload(
    row: AuditEvent, body: str | None, keys: Keyring, purged: set[int], report: Report
) -> None:
    if not row.payload_digest:
        if body is not None:
            report.add(row.chain, row.seq, row.pk, "a payload was added to an event without one")
        return
    if body is None:
        if row.action != Action.PURGE and row.person_id in purged:
            report.erased_payloads += 1
        else:
            report.add(row.chain, row.seq, row.pk, "payload deleted without a purge covering it")
        return
    key = keys.chain_keys.get(row.key_id)
    if key is not None and payload_digest(key, body) != row.payload_digest:
        report.add(row.chain, row.seq, row.pk, "payload altered: it does not match its digest")


def _check_head(
    name: str,
    head: AuditChainHead | None,
    walked: _Chain,
    ledger: str | None,
    report: Report,
) -> None:
    if head is None:
        if walked.last_seq:
            report.add(name, None, None, "the chain head row is missing (deleted)")
        return
    if head.last_seq > walked.last_seq:
        how = f"deleted at the end of the chain; its head is at {head.last_seq}"
        report.add(
            name, walked.last_seq + 1, None, _missing(walked.last_seq + 1, head.last_seq, how)
        )
    elif head.last_seq < walked.last_seq:
        report.add(
            name,
            head.last_seq + 1,
            None,
            f"rows after the head (at {head.last_seq}): "
            "rows inserted at the end or the head moved back",
        )
    elif walked.last_seq and head.last_hash != walked.last_hash:
        report.add(name, head.last_seq, walked.last_id, "the head's hash differs from the last row")
    elif not walked.last_seq and ledger and head.last_hash != genesis_hash(ledger, name):
        report.add(name, 0, None, "the head of this empty chain was altered")


# --- Checkpoints ----------------------------------------------------------------


def _checkpoints(
    keys: Keyring, ledger: str | None, path: Path | None, report: Report
) -> dict[str, list[Checkpoint]]:
    """Checkpoints of this ledger from the table and the file, by chain; others reported."""
    path = path or conf.checkpoint_file()
    in_file, unreadable = read_file(path)
    for number in unreadable:
        report.add(None, None, None, f"line {number} of {path} cannot be read")
    in_table = [Checkpoint.from_row(row) for row in AuditCheckpoint.objects.all()]
    if in_table and not path.exists():
        report.add(None, None, None, f"the checkpoint file {path} is missing")
    _report_foreign(in_file + in_table, ledger, report)
    by_chain: dict[str, list[Checkpoint]] = defaultdict(list)
    for checkpoint in in_file + in_table:
        if checkpoint.ledger != ledger:
            continue
        report.checkpoints += 1
        if checkpoint.signature_valid(keys):
            by_chain[checkpoint.chain].append(checkpoint)
        else:
            report.add(checkpoint.chain, checkpoint.seq, None, "checkpoint signature is invalid")
    return by_chain


def _report_foreign(checkpoints: Iterable[Checkpoint], ledger: str | None, r: Report) -> None:
    foreign: dict[str, int] = defaultdict(int)
    for checkpoint in checkpoints:
        if checkpoint.ledger != ledger:
            foreign[checkpoint.ledger] += 1
    for other, count in sorted(foreign.items()):
        r.add(
            None,
            None,
            None,
            f"{count} checkpoints belong to ledger {other}, not to this database's "
            f"({ledger or 'none'}): the audit trail was replaced or the database recreated",
        )


def _check_checkpoints(
    name: str, checkpoints: list[Checkpoint], walked: _Chain, report: Report
) -> None:
    for checkpoint in checkpoints:
        if checkpoint.seq > walked.last_seq:
            how = f"deleted at the end of the chain; checkpointed at {checkpoint.signed_at}"
            report.add(
                name, walked.last_seq + 1, None, _missing(walked.last_seq + 1, checkpoint.seq, how)
            )
        elif walked.hashes.get(checkpoint.seq) != checkpoint.hash:
            report.add(
                name,
                checkpoint.seq,
                None,
                f"the row differs from the checkpoint signed at {checkpoint.signed_at}",
            )


def _check_orphan_payloads(report: Report) -> None:
    orphans = AuditPayload.objects.exclude(event_id__in=AuditEvent.objects.values("id"))
    for event_id in orphans.values_list("event_id", flat=True):
        report.add(None, None, event_id, "a payload whose event row is missing (deleted)")
