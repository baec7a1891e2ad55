"""Mutated real messages through the whole pipeline: nothing crashes, nothing is lost.

Real ELR messages (ReportStream, NIST) and synthetic ones, mutated the way
feeds break (characters dropped, doubled or replaced, segments cut, lines
swapped, truncation), are imported through the full pipeline into the
database. Every message is accounted for: received = accepted + rejected +
duplicates. ``EPITRACE_FUZZ_MESSAGES`` scales the run (10,000 for the full
check; the suite runs 1,000).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from epitrace.accounts.scope import system_user
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.pipeline import Pipeline
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.ingest.synthetic import MessageFactory
from epitrace.labs.models import RawMessage

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TESTDATA = Path(__file__).resolve().parents[4].parent / "shared" / "testdata"
COUNT = int(os.environ.get("EPITRACE_FUZZ_MESSAGES", "1000"))


def originals() -> list[str]:
    fmt = get_format("hl7")
    texts: list[str] = []
    for folder in ("elr/hl7/reportstream", "elr/hl7/nist-elr251/valid"):
        for path in sorted((TESTDATA / folder).rglob("*")):
            if path.is_file() and path.suffix.lower() in {".hl7", ".txt", ".er7"}:
                texts += [item.text for item in fmt.split(path.read_bytes()) if not item.problem]
    factory = MessageFactory(seed=99)
    texts += list(factory.stream(50, positive_share=0.4))
    return texts


def mutate(text: str, rng: random.Random) -> str:
    kind = rng.randrange(7)
    if not text:
        return text
    at = rng.randrange(len(text))
    if kind == 0:
        return text[:at] + text[at + 1 :]
    if kind == 1:
        return text[:at] + text[at] * rng.randint(2, 5) + text[at + 1 :]
    if kind == 2:
        return text[:at] + rng.choice("|^~\\&\r\n\x00é€ 9A") + text[at + 1 :]
    if kind == 3:
        return text[:at]
    segments = text.split("\r")
    if kind == 4 and len(segments) > 2:
        i, j = rng.sample(range(len(segments)), 2)
        segments[i], segments[j] = segments[j], segments[i]
    elif kind == 5 and len(segments) > 1:
        del segments[rng.randrange(len(segments))]
    else:
        segments.insert(
            rng.randrange(len(segments) + 1), "ZZZ|" + "|".join("x" * rng.randint(0, 3))
        )
    return "\r".join(segments)


def test_mutated_messages_are_all_accounted_for() -> None:
    base = originals()
    assert len(base) > 50, "no real messages found"
    rng = random.Random(2026)
    items = []
    for index in range(1, COUNT + 1):
        text = rng.choice(base)
        for _ in range(rng.randint(0, 3)):  # some pass unchanged: duplicates
            text = mutate(text, rng)
        items.append(RawItem(index, text))
    pipeline = Pipeline(actor=system_user(), source="fuzz")
    outcomes = list(pipeline.run(items, get_format("hl7"), "fuzz.hl7"))
    summary = pipeline.summary
    assert len(outcomes) == summary.received == COUNT
    assert summary.received == summary.accepted + summary.rejected + summary.duplicates
    assert summary.accepted > 0
    assert summary.rejected > 0
    assert RawMessage.objects.filter(state="rejected").count() <= summary.rejected
    assert all(r["reason"] for r in summary.rejections)
