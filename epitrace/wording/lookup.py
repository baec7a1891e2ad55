"""The overrides that apply to a message: the nearest jurisdiction up the tree first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import F

from epitrace.jurisdictions.models import Jurisdiction
from epitrace.wording.models import MessageWording

# (channel, template): the messages an index covers.
Kind = tuple[str, str]


class Overrides:
    """The active overrides of some messages, resolved in memory for any jurisdiction.

    Two queries whatever the number of messages, languages and jurisdictions
    asked about: a batch of messages (the import's self-interview links for
    every LHD) does not query once per jurisdiction. An override applies when
    its jurisdiction's materialised path is a prefix of the person's.
    """

    def __init__(self, kinds: Iterable[Kind], jurisdiction_ids: Iterable[int]) -> None:
        kinds = set(kinds)
        # (channel, template, language) -> [(path, wording)], the deepest path first.
        self._rows: dict[tuple[str, str, str], list[tuple[str, MessageWording]]] = defaultdict(list)
        self._paths: dict[int, str] = {}
        if not kinds:
            return  # nothing to word (exposure-notification requests only)
        self._paths = dict(
            Jurisdiction.objects.filter(pk__in=set(jurisdiction_ids)).values_list("pk", "path")
        )
        if not self._paths:
            return
        templates = {template for _, template in kinds}
        rows = (
            MessageWording.objects.filter(template__in=templates, active=True)
            .only("pk", "channel", "template", "language", "subject", "body")
            .annotate(path=F("jurisdiction__path"))
        )
        for row in rows:
            if (row.channel, row.template) in kinds:
                self._rows[(row.channel, row.template, row.language)].append((row.path, row))
        for found in self._rows.values():
            found.sort(key=lambda pair: len(pair[0]), reverse=True)

    def nearest(
        self, channel: str, template: str, languages: Sequence[str], jurisdiction_id: int
    ) -> dict[str, MessageWording]:
        """Per language, the override of ``jurisdiction_id`` or of its nearest ancestor."""
        path = self._paths.get(jurisdiction_id)
        found: dict[str, MessageWording] = {}
        if path is None:
            return found
        for language in languages:
            for prefix, row in self._rows.get((channel, template, language), ()):
                if path.startswith(prefix):
                    found[language] = row
                    break
        return found


def nearest(
    channel: str, template: str, languages: Sequence[str], jurisdiction_id: int
) -> dict[str, MessageWording]:
    """Per language, the active override of ``jurisdiction_id`` or its nearest ancestor."""
    overrides = Overrides([(channel, template)], [jurisdiction_id])
    return overrides.nearest(channel, template, languages, jurisdiction_id)
