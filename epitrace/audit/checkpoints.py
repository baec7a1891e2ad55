"""Signed checkpoints: the chain heads, sealed and kept outside the database too.

The head rows alone cannot catch everything: someone who deletes the last
rows of a chain and moves its head back leaves a consistent-looking chain.
So every minute (huey task, or ``epitrace audit checkpoint``) each head that
moved is signed with the signing key and appended, one JSON line per chain,
to a file the database cannot reach (``EPITRACE_AUDIT_CHECKPOINT_FILE``),
and also stored in ``AuditCheckpoint``. Verify then requires every
checkpointed row to be present with the checkpointed hash, so a cut tail is
found as soon as a checkpoint has covered it. Rows written after the last
checkpoint are protected by the head row only: that window is one minute.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from epitrace.audit import conf
from epitrace.audit.hashing import canonical_json, checkpoint_message, utc_text
from epitrace.audit.keys import Keyring, keyring
from epitrace.audit.models import AuditChainHead, AuditCheckpoint, AuditLedger


@dataclass(frozen=True)
class Checkpoint:
    """One signed head, as written to the file and the table."""

    ledger: str
    chain: str
    seq: int
    hash: str
    signed_at: str
    key_id: str
    signature: str = ""

    def message(self) -> bytes:
        return checkpoint_message(
            self.ledger, self.chain, self.seq, self.hash, self.signed_at, self.key_id
        )

    def signature_valid(self, keys: Keyring) -> bool:
        signer = keys.signers.get(self.key_id)
        return signer is not None and signer.verify(self.message(), self.signature)

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(
            ledger=row.ledger,
            chain=row.chain,
            seq=row.seq,
            hash=row.hash,
            signed_at=utc_text(row.signed_at),
            key_id=row.key_id,
            signature=row.signature,
        )


def do_checkpoint() -> list[Checkpoint]:
    """Sign every head that moved since its last checkpoint; file first, then table."""
    keys = keyring()
    with transaction.atomic():
        ledger = AuditLedger.objects.first()
        if ledger is None:
            return []
        signed_at = timezone.now()
        checkpoints = [
            _sign(keys, ledger.ledger, head, utc_text(signed_at)) for head in _moved_heads(ledger)
        ]
        if checkpoints:
            append_to_file(checkpoints)
            AuditCheckpoint.objects.bulk_create(
                AuditCheckpoint(**{**asdict(c), "signed_at": signed_at}) for c in checkpoints
            )
    return checkpoints


def _moved_heads(ledger: AuditLedger) -> list[AuditChainHead]:
    sealed = dict(
        AuditCheckpoint.objects.filter(ledger=ledger.ledger)
        .values("chain")
        .annotate(seq=Max("seq"))
        .values_list("chain", "seq")
    )
    heads = AuditChainHead.objects.filter(last_seq__gt=0).order_by("chain")
    return [head for head in heads if head.last_seq > sealed.get(head.chain, 0)]


def _sign(keys: Keyring, ledger: str, head: AuditChainHead, signed_at: str) -> Checkpoint:
    unsigned = Checkpoint(
        ledger=ledger,
        chain=head.chain,
        seq=head.last_seq,
        hash=head.last_hash,
        signed_at=signed_at,
        key_id=keys.signer.key_id,
    )
    return Checkpoint(**{**asdict(unsigned), "signature": keys.signer.sign(unsigned.message())})


def append_to_file(checkpoints: Iterable[Checkpoint], path: Path | None = None) -> None:
    """Append whole lines in one write, then fsync: a crash never leaves half a statement."""
    path = path or conf.checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(canonical_json(asdict(c)) + "\n" for c in checkpoints).encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: Path | None = None) -> tuple[list[Checkpoint], list[int]]:
    """The checkpoints in the file, and the numbers of lines that could not be read."""
    path = path or conf.checkpoint_file()
    if not path.exists():
        return [], []
    checkpoints: list[Checkpoint] = []
    unreadable: list[int] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            checkpoint = _parse(line)
            if checkpoint is None:
                unreadable.append(number)
            else:
                checkpoints.append(checkpoint)
    return checkpoints, unreadable


def _parse(line: str) -> Checkpoint | None:
    try:
        checkpoint = Checkpoint(**json.loads(line))
    except (ValueError, TypeError):
        return None
    fields = asdict(checkpoint)
    seq = fields.pop("seq")
    if type(seq) is not int or not all(isinstance(value, str) for value in fields.values()):
        return None
    return checkpoint
