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


def test_artifacts_in_background_arrive_in_order_before_the_block_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import contextvars
    import threading

    sent: list[tuple[str, object, str | None, str]] = []
    run = contextvars.ContextVar("run", default="none")
    ids: list[uuid.UUID] = []
    server_answers = threading.Event()  # the server is slow until the test says otherwise

    def created(**kwargs: object) -> uuid.UUID:
        assert server_answers.wait(10)
        ids.append(uuid.uuid4())
        sent.append(("create", kwargs["progress"], run.get(), threading.current_thread().name))
        return ids[-1]

    def updated(**kwargs: object) -> None:
        assert kwargs["artifact_id"] == ids[0]  # created before, by the same thread
        sent.append(("update", kwargs["progress"], run.get(), threading.current_thread().name))

    def markdown(**kwargs: object) -> None:
        sent.append(("markdown", kwargs["key"], run.get(), threading.current_thread().name))

    monkeypatch.setattr(common, "create_progress_artifact", created)
    monkeypatch.setattr(common, "update_progress_artifact", updated)
    run.set("flow-run-1")
    with common.artifacts_in_background():
        progress = common.Progress("Publishing")
        common.send_artifact(markdown, key="site-summary")
        with common.artifacts_in_background():  # nested: the same thread, the same order
            common.send_artifact(markdown, key="newsletter-2026-12")
        progress.update(100.0)
        # The caller got here while the server had answered nothing: it did not wait.
        assert sent == []
        server_answers.set()
    assert [item[:2] for item in sent] == [
        ("create", 0.0), ("markdown", "site-summary"), ("markdown", "newsletter-2026-12"), ("update", 100.0)
    ]
    assert {item[2] for item in sent} == {"flow-run-1"}  # each call in the caller's context
    assert {item[3] for item in sent} != {threading.current_thread().name}
    # Outside a block, artifacts are sent at once, in the caller's thread.
    common.send_artifact(markdown, key="alone")
    assert sent[-1][1:] == ("alone", "flow-run-1", threading.current_thread().name)


def test_a_failed_send_is_raised_when_the_block_ends_but_never_hides_the_blocks_own_error() -> None:
    def refused(**_: object) -> None:
        raise RuntimeError("server said 500")

    with pytest.raises(RuntimeError, match="server said 500"):
        with common.artifacts_in_background():
            common.send_artifact(refused, key="x")
    with pytest.raises(ValueError, match="the build failed"):
        with common.artifacts_in_background():
            common.send_artifact(refused, key="x")
            raise ValueError("the build failed")
