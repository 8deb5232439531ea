"""Build stages collect garbage less often, and forked workers inherit a frozen heap."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from pathlib import Path

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


def _freeze_count_at_exit(code: str) -> int:
    """Run ``code`` in a new interpreter; the number of frozen objects its last exit handler saw.

    The probe is registered first, so it runs after every exit handler ``code`` registers.
    """
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.stdout.write(f'FROZEN {gc.get_freeze_count()}\\n'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe + code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("FROZEN ")]
    assert len(lines) == 1, done.stdout + done.stderr
    return int(lines[0].split()[1])


def test_the_heap_is_frozen_at_exit_once_asked_and_only_then() -> None:
    assert _freeze_count_at_exit("pass") == 0
    asked = (
        "from pubflow.collector import no_collections_at_exit\n"
        "import atexit\n"
        "no_collections_at_exit()\n"
        "registered = atexit._ncallbacks()\n"
        "no_collections_at_exit()\n"
        "assert atexit._ncallbacks() == registered, 'registered twice'\n"
    )
    assert _freeze_count_at_exit(asked) > 1_000


def test_flow_processes_freeze_their_heap_at_exit() -> None:
    # Every flow module imports flows.common, which asks for it (Prefect's heap: ~0.3 s of exit).
    assert _freeze_count_at_exit("import flows.common\n") > 50_000
