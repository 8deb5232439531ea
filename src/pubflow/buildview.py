"""One build's view of the catalogs: checked once by the sync, taken by the stages after it.

A publish run (the ``publish`` flow, ``make publish``, the benchmarks' library path) runs its
stages inside :func:`one_build`. The sync checks every catalog and compiled file (a ``stat``
each, 5,000+ on a large site) and offers what it found; the site and newsletter builds that
follow in the same block take that view instead of checking every file again (~40 ms of a
rebuild that finds little to do).

This is how any build tool treats its inputs: they are read once, at the start. The stages
record the view as what they were built from, so a ``.po`` saved after the sync's check
differs from that record and the next build compiles and renders it, exactly as a save made
while a stage runs. Anything that writes a catalog or compiles drops the view
(:func:`forget`): the stages after it check the files themselves again. Outside the block
(one stage from the command line, the preview server) nothing is shared.

The view is process-wide, not per thread: Prefect may run a flow's tasks in other threads.
Two builds of one project never overlap (the project run lock), and a view is only taken
for the settings it was made with.

No imports of ours: the catalog writer, which every catalog change goes through, calls
:func:`forget`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple


class CatalogView(NamedTuple):
    """Every catalog and compiled catalog as the sync found them, keyed as
    :func:`pubflow.render.catalog_inputs.catalog_sources` and ``compiled_fingerprints`` key
    them for every domain."""

    settings_key: str
    sources: dict[str, str | None]
    compiled: dict[str, str]


_depth = 0
_view: CatalogView | None = None


@contextmanager
def one_build() -> Iterator[None]:
    """The stages run in this block are one build (see the module doc). Blocks may nest."""
    global _depth, _view
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _view = None


def building() -> bool:
    """Whether the caller runs inside :func:`one_build` (a view offered now would be kept)."""
    return _depth > 0


def offer(view: CatalogView) -> None:
    """The sync's view of every catalog, for the stages after it (kept only in a build)."""
    global _view
    if _depth > 0:
        _view = view


def current(settings_key: str) -> CatalogView | None:
    """The view offered in this build for these settings, if no catalog changed since."""
    view = _view
    if view is None or view.settings_key != settings_key:
        return None
    return view


def forget() -> None:
    """A catalog or compiled file is about to change: the view no longer holds."""
    global _view
    _view = None


__all__ = ["CatalogView", "building", "current", "forget", "offer", "one_build"]
