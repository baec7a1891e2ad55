"""Importing files: the command line, the drop folder and the tests share this."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.urls import get_resolver

from epitrace.labs.ingest.formats import get_format, sniff
from epitrace.labs.ingest.pipeline import Pipeline, Summary
from epitrace.labs.ingest.report import RawItem


def settle_heap() -> None:
    """Before a long import in its own process: keep the live objects out of collections.

    Django, the code tables and the matcher's model are hundreds of thousands
    of long-lived objects; each full collection during the import walked all
    of them again (about a quarter of the import's CPU). Collected first, so
    nothing already unreachable is kept; not for a process that imports again
    and again (the drop folder's), whose later garbage would stay.

    The URL configuration is loaded first: the first new case's portal link
    reverses an address, and loading every view module then cost the import
    about a second (and left those modules outside the frozen heap).
    """
    get_resolver().url_patterns  # noqa: B018 - loads the URL configuration
    gc.collect()
    gc.freeze()


def import_files(
    paths: Iterable[Path],
    *,
    actor: Any,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    source: str = "file",
    on_message: Callable[[], None] | None = None,
) -> Summary:
    pipeline = Pipeline(actor=actor, source=source)
    for path in paths:
        import_file(pipeline, path, fmt=fmt, mapping=mapping, on_message=on_message)
    return pipeline.summary


def import_file(
    pipeline: Pipeline,
    path: Path,
    *,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    on_message: Callable[[], None] | None = None,
) -> None:
    items: Iterable[RawItem]
    try:
        data = path.read_bytes()
    except OSError as exc:
        # An unreadable file counts as one received message, rejected with why.
        data = b""
        items = [RawItem(1, "", problem=f"cannot read the file: {exc.strerror}")]
        form = get_format(fmt if fmt != "auto" else sniff(data, path.name), mapping)
    else:
        form = get_format(fmt if fmt != "auto" else sniff(data, path.name), mapping)
        items = form.split(data)
    for _ in pipeline.run(items, form, str(path)):
        if on_message:
            on_message()
