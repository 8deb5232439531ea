"""The progress artifact is written at most once a second, in visible steps, and always at 100 %."""

from __future__ import annotations

import uuid

import pytest

from flows import common


def test_progress_updates_are_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    writes: list[float] = []
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(common, "create_progress_artifact", lambda **_: uuid.uuid4())
    monkeypatch.setattr(common, "update_progress_artifact", lambda **kw: writes.append(kw["progress"]))
    progress = common.Progress("Rendering pages")
    for step in range(1, 1001):  # 1,000 pages in 5 s of rendering
        clock[0] = step * 0.005
        progress.update(step / 10)
    assert writes[-1] == 100.0
    assert 4 <= len(writes) <= 6  # one a second, plus the end (was up to 50)
    assert writes == sorted(writes)
    progress.update(100.0)
    assert writes.count(100.0) == 1  # nothing new: no second write
