"""Build stages collect garbage less often, and forked workers inherit a frozen heap."""

from __future__ import annotations

import gc
import threading

from pubflow.collector import BUILD_THRESHOLDS, fewer_collections, with_fewer_collections
from pubflow.parallel import run_jobs


def test_thresholds_are_raised_inside_and_restored_after_the_last_stage() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        raised = gc.get_threshold()
        with fewer_collections():  # a stage calling another
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised
    assert raised == tuple(max(a, b) for a, b in zip(before, BUILD_THRESHOLDS))
    assert raised != before
    assert gc.get_threshold() == before


def test_a_higher_threshold_someone_set_is_kept_and_an_error_still_restores() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(100_000, 5, 5)
        try:
            with fewer_collections():
                assert gc.get_threshold() == (100_000, 50, 50)
                raise ValueError("a failing stage")
        except ValueError:
            pass
        assert gc.get_threshold() == (100_000, 5, 5)
    finally:
        gc.set_threshold(*before)


def test_overlapping_stages_in_threads_restore_the_thresholds_once_both_end() -> None:
    before = gc.get_threshold()
    inside = threading.Barrier(3)
    leave = threading.Event()

    @with_fewer_collections
    def stage() -> None:
        inside.wait()
        leave.wait()

    threads = [threading.Thread(target=stage) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert gc.get_threshold() != before
    leave.set()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before


def frozen_in_worker(_shared: None, _number: int) -> int:
    return gc.get_freeze_count()


def test_workers_inherit_the_heap_frozen_and_the_parent_is_unfrozen_after() -> None:
    counts = run_jobs(frozen_in_worker, None, [(n,) for n in range(2)], workers=2)
    assert all(count > 1000 for count in counts)  # the parent's objects, out of the workers' collections
    assert gc.get_freeze_count() == 0


def test_a_settled_process_freezes_once_and_only_the_outermost_block_thaws() -> None:
    from pubflow.collector import frozen_for_fork, settled_process

    before = gc.get_threshold()
    with settled_process():
        frozen = gc.get_freeze_count()
        assert frozen > 1000 and gc.get_threshold() != before
        # (Frozen objects freed meanwhile leave the count, so compare loosely: a thaw empties it.)
        with frozen_for_fork():  # a stage forking its workers inside the flow run
            pass
        assert gc.get_freeze_count() > frozen // 2  # the fork's block did not thaw the run's heap
        with settled_process():  # publish holding the lock, then building the site
            pass
        assert gc.get_freeze_count() > frozen // 2
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
