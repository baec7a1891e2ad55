"""A small lab feed for the demo, sent through the real import pipeline.

So that a newcomer sees the pipeline at work: new and known persons, a few
positives opening cases, residents of another state in the out-of-state
queue, and rejected messages (an admission, a message cut short) waiting on
the errors screen with their reasons, plus one message sent twice.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from epitrace.accounts.scope import system_user
from epitrace.jurisdictions.models import Jurisdiction, Town
from epitrace.labs.ingest.formats import get_format
from epitrace.labs.ingest.pipeline import Pipeline, Summary
from epitrace.labs.ingest.report import RawItem
from epitrace.labs.ingest.synthetic import MessageFactory

MESSAGES = 40


def send_demo_feed(seed: int, anchor: dt.date) -> Summary:
    towns = list(Town.objects.values_list("name", "postal_codes__code").exclude(postal_codes=None))
    state = Jurisdiction.objects.root().state_code
    factory = MessageFactory(seed=seed, towns=towns, state=state)
    start = timezone.make_aware(dt.datetime.combine(anchor, dt.time(7))) - dt.timedelta(days=2)
    texts = list(factory.stream(MESSAGES, positive_share=0.3, start=start))
    visitor = MessageFactory(seed=seed + 1, towns=[("Springfield", "01103")], state="MA")
    texts += list(visitor.stream(3, positive_share=1.0, start=start))
    texts.append(texts[0])  # a retry of a message already received
    texts.append(texts[1].replace("ORU^R01^ORU_R01", "ADT^A01^ADT_A01"))  # not a lab result
    texts.append(texts[2].split("\rPID")[0])  # cut short before the patient
    pipeline = Pipeline(actor=system_user(), source="demo feed")
    items = [RawItem(i, text) for i, text in enumerate(texts, start=1)]
    list(pipeline.run(items, get_format("hl7"), "demo-feed.hl7"))
    return pipeline.summary
