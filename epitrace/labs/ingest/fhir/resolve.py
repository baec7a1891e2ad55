"""The resources of one message and the references between them.

A reference is resolved the ways senders write them: the entry's fullUrl
exactly (``urn:uuid:...``, an absolute URL), ``Type/id`` (relative, or the
tail of an absolute URL, a ``_history`` suffix dropped), and ``#id`` for a
resource contained in the referring one. Only the message itself is
searched: a reference to a server is not followed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epitrace.labs.ingest.fhir.nodes import Json, children, text


@dataclass(eq=False)
class Node:
    """One resource of the message, with a label for reasons and its contained ones."""

    resource: Json
    label: str
    container: Node | None = None
    contained: dict[str, Node] = field(default_factory=dict)
    type: str = field(init=False)
    id: str = field(init=False)

    def __post_init__(self) -> None:
        self.type = text(self.resource, "resourceType")
        self.id = text(self.resource, "id")


class Index:
    """Every resource of a Bundle (or one lone resource) and how to reach it."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._keys: dict[str, Node] = {}
        self._by_type: dict[str, list[Node]] = {}

    @classmethod
    def of_bundle(cls, bundle: Json) -> Index:
        index = cls()
        for position, entry in enumerate(children(bundle, "entry")):
            resource = entry.get("resource")
            if isinstance(resource, dict):
                index.add(resource, text(entry, "fullUrl"), f"entry[{position}]")
        return index

    @classmethod
    def of_resource(cls, resource: Json) -> Index:
        index = cls()
        index.add(resource, "", "")
        return index

    def add(self, resource: Json, full_url: str, position: str) -> Node:
        """Index ``resource``; an entry repeating one already seen (same fullUrl or
        Type/id, against the Bundle rules) is the same resource and is not added twice."""
        node = Node(resource, _label(resource, position))
        known = self._keys.get(full_url) or (
            self._keys.get(f"{node.type}/{node.id}") if node.id else None
        )
        if known is not None:
            return known
        for inner in children(resource, "contained"):
            inner_id = text(inner, "id")
            if inner_id:
                node.contained[inner_id] = Node(inner, f"{node.label} #{inner_id}", container=node)
        self.nodes.append(node)
        self._by_type.setdefault(node.type, []).append(node)
        keys = [full_url, f"{node.type}/{node.id}" if node.id else "", _tail(full_url)]
        for key in keys:
            if key:
                self._keys.setdefault(key, node)
        return node

    def resolve(self, ref: str, context: Node | None = None) -> Node | None:
        """The resource ``ref`` names, seen from ``context`` (for ``#id``), or None."""
        if not ref:
            return None
        if ref.startswith("#"):
            root = context.container or context if context else None
            if root is None:
                return None
            return root if ref == "#" else root.contained.get(ref[1:])
        ref = ref.split("/_history/")[0]
        return self._keys.get(ref) or self._keys.get(_tail(ref))

    def of_type(self, kind: str) -> list[Node]:
        """The message's resources of one type, in order (contained ones not included)."""
        return self._by_type.get(kind, [])


def _label(resource: Json, position: str) -> str:
    kind = text(resource, "resourceType") or "resource"
    ident = text(resource, "id")
    if ident:
        return f"{kind}/{ident}"
    return f"{kind} at {position}" if position else kind


def _tail(url: str) -> str:
    """``Type/id`` from the end of a URL, or "" when it has no such tail."""
    parts = [p for p in url.split("/") if p]
    if len(parts) < 2 or not parts[-2][:1].isupper():
        return ""
    return f"{parts[-2]}/{parts[-1]}"
