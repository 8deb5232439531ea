"""What every flow shares: typed parameters, settings, artifacts and user-facing failures.

Parameter types are ``Literal`` unions built from the project's settings, so the Prefect UI
draws dropdowns and multi-selects with exactly the configured locales.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from prefect import Flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.context import TaskRunContext

from pubflow.collector import no_collections_at_exit, settled_process
from pubflow.config import Settings, load_settings, mistyped_variables
from pubflow.errors import ConfigError, PubflowError
from pubflow.fingerprint import FileHashes, digest, now_ns, read_state, state_path, write_state
from pubflow.fsutil import validate_slug
from pubflow.runlock import ProjectRunLock

_PROJECT = Path(__file__).resolve().parents[1]

# Every flow process has loaded Prefect: spare it the final collections over that heap.
no_collections_at_exit()


def end_heartbeats_without_waiting() -> bool:
    """Let a flow run end as soon as its work is done, not up to a second later.

    Prefect 3.9 sends a flow run's heartbeats (180 s apart by default, for detecting crashed
    runs) from a thread that sleeps one second at a time, and the sync engine joins that
    thread as the run ends: every run returned 0-1 s after its last step (measured on the
    bench corpus, publish flow: 0.35-0.9 s between the flow body's end and its return; 0.04 s
    after this change). Prefect's async engine already skips that join; this makes the sync
    engine do the same through the engine's own ``join_on_exit`` switch. Heartbeats are still
    sent, and the thread still stops at the run's end: it checks the stop flag after each
    second and sends nothing once it is set. Returns whether the change applies: False when
    Prefect's heartbeat function has changed shape, leaving Prefect's behaviour as it is.
    """
    import inspect

    from prefect import flow_engine

    send = getattr(flow_engine, "_send_heartbeats", None)
    if send is None or getattr(send, "ends_without_waiting", False):
        return send is not None
    if "join_on_exit" not in inspect.signature(send).parameters:
        return False

    def send_heartbeats(engine: Any, join_on_exit: bool = True) -> Any:
        return send(engine, join_on_exit=False)

    send_heartbeats.ends_without_waiting = True  # type: ignore[attr-defined]
    flow_engine._send_heartbeats = send_heartbeats  # type: ignore[attr-defined]
    return True


end_heartbeats_without_waiting()


_JSON_SCALARS = (str, int, float, bool, type(None))


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is JSON as it stands: what FastAPI's encoder would give back unchanged
    (exact types: an enum or a tuple is converted by the encoder, so it is not plain here)."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is list:
        return all(_plain_json(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain_json(item) for key, item in value.items())
    return False


class PlainParametersFlow(Flow):  # type: ignore[type-arg]
    """A Prefect flow whose parameters, when already plain JSON, go to the server as they are.

    Prefect's ``Flow.serialize_parameters`` imports FastAPI for its ``jsonable_encoder`` in every
    flow run with parameters: ~170 ms of the flow process (measured after importing
    ``flows.publish``: 157-181 ms, 5 runs), to give back our strings, lists of strings and
    booleans unchanged. Any other value still goes through Prefect's encoder.
    """

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        if all(_plain_json(value) for value in parameters.values()):
            return dict(parameters)
        return super().serialize_parameters(parameters)


def flow(**options: Any) -> Callable[[Callable[..., Any]], PlainParametersFlow]:
    """``@flow(name=...)``: Prefect's decorator (same options), making a :class:`PlainParametersFlow`."""

    def make(function: Callable[..., Any]) -> PlainParametersFlow:
        return PlainParametersFlow(fn=function, **options)

    return make


def project_root() -> Path:
    """The project the flows work on: ``PUBFLOW_ROOT`` when set, else the one holding flows/."""
    return Path(os.environ["PUBFLOW_ROOT"]).resolve() if os.environ.get("PUBFLOW_ROOT") else _PROJECT


def _one_line_for_user_errors() -> None:
    """A flow run from the command line (``make publish`` is ``python -m flows.publish``) that
    stops on a user's error prints that error's one line, not a traceback: a setting that does
    not validate (pyproject.toml or a ``PUBFLOW_*`` variable, read as the flows are imported)
    or a :class:`FlowFailure`. Any other error keeps Python's traceback. (Deployment runs are
    started by Prefect's runner, which reports failures in the UI; this hook is not involved.)
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, traceback: Any) -> None:
        if isinstance(value, PubflowError):
            print(f"pubflow: error: {value.describe()}", file=sys.stderr)
        elif isinstance(value, FlowFailure):
            print(f"pubflow: error: {value}", file=sys.stderr)
        else:
            previous(kind, value, traceback)

    sys.excepthook = hook


_one_line_for_user_errors()
_SETTINGS = load_settings(project_root())

# Literal[...] over the configured codes: Prefect turns these into enums in the parameter
# schema, so the UI offers a (multi-)select instead of free text.
LocaleCode = Literal[tuple(_SETTINGS.all_locales)]  # type: ignore[valid-type]
TargetLocale = Literal[tuple(_SETTINGS.locales)]  # type: ignore[valid-type]
Backend = Literal["none", "pseudo", "google", "deepl", "microsoft", "libre", "mymemory"]
Policy = Literal["default", "reviewed", "machine"]
"""``default``: the project's ``publish_policy`` setting."""


class FlowFailure(Exception):
    """A failure whose message is one sentence a marketer can act on."""


def retry_unless_user_error(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network tasks on faults, never on a user error (retrying cannot fix a bad input)."""
    try:
        state.result()
    except (FlowFailure, PubflowError):
        return False
    except Exception:  # noqa: BLE001 — any other failure is worth another try
        return True
    return False


_LOADED: dict[str, Settings] = {}


def settings(**overrides: Any) -> Settings:
    """Settings of the project this flow runs in, with flow parameters applied.

    A publish run asks some 30 times; each load parses pyproject.toml and the environment
    (2-4 ms). So a load is reused while ``pyproject.toml`` (its stat), every ``PUBFLOW_*``
    variable and the overrides are the same; each caller gets its own copy to change.
    """
    root = project_root()
    try:
        status = os.stat(root / "pyproject.toml")
        stamp: tuple[int, ...] = (status.st_size, status.st_mtime_ns, status.st_ino)
    except OSError:
        stamp = ()
    env = sorted((name, value) for name, value in os.environ.items() if name.startswith("PUBFLOW_"))
    key = repr((str(root), stamp, env, sorted(overrides.items())))
    loaded = _LOADED.get(key)
    if loaded is None:
        loaded = load_settings(root, **overrides)
        _warn_mistyped_variables()
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[key] = loaded
    return loaded.copy()


def _warn_mistyped_variables() -> None:
    """Name a ``PUBFLOW_*`` variable that looks like a mistyped setting in the run's log."""
    from prefect.exceptions import MissingContextError

    for variable, meant in mistyped_variables():
        message = f"{variable} is not a setting (did you mean {meant}?); it is ignored"
        try:
            get_run_logger().warning(message)
        except MissingContextError:
            print(f"pubflow: warning: {message}", file=sys.stderr)


def checked_slugs(values: Sequence[str] | None, what: str = "article") -> list[str] | None:
    """Validate slugs given as parameters (they become paths: no ``../``, no NUL)."""
    if not values:
        return None
    try:
        return [validate_slug(value, where=what) for value in values]
    except ConfigError as exc:
        raise FlowFailure(exc.describe()) from None


@contextmanager
def user_errors(stage: str) -> Iterator[None]:
    """Turn a :class:`PubflowError` into a failed run whose message says what to do."""
    try:
        yield
    except PubflowError as exc:
        message = f"{stage} failed: {exc.describe()}"
        get_run_logger().error(message)
        create_markdown_artifact(
            markdown=f"## {stage} failed\n\n{exc.describe()}\n",
            key=f"{stage.lower().replace(' ', '-')}-failure",
            description=f"Why {stage.lower()} failed and what to do",
        )
        raise FlowFailure(message) from None


QUEUEING_FLOWS = {"refresh-locale": 900.0}
"""Flows that queue behind a busy project (up to this many seconds) instead of failing fast:
refresh-locale starts by itself when a ``.po`` is saved — publish's own catalog writes
included — and a red run nobody asked for would only alarm the marketer watching the UI."""


def flow_run_job() -> str:
    """This flow run as the UI names it (``publish flow run 'crimson-fox'``), for lock messages."""
    from prefect.runtime import flow_run

    name, flow_name = flow_run.name, flow_run.flow_name
    return f"{flow_name} flow run {name!r}" if name else f"{flow_name or 'a'} flow run"


@contextmanager
def project_lock(stage: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the project run lock (see :mod:`pubflow.runlock`) while the block runs.

    When another publish or build keeps the project busy for longer than ``wait`` seconds
    (default: the ``run_lock_wait`` setting; see :data:`QUEUEING_FLOWS`), the run fails with
    one line naming that job and what to do. Re-entrant: publish holds it and then builds the
    site and the newsletters. Inside, the garbage collector leaves the heap loaded so far alone
    (:func:`pubflow.collector.settled_process`).
    """
    from prefect.runtime import flow_run

    cfg = settings()
    if wait is None and flow_run.flow_name in QUEUEING_FLOWS:
        wait = max(cfg.run_lock_wait, QUEUEING_FLOWS[flow_run.flow_name])
    lock = ProjectRunLock(cfg, flow_run_job(), wait=wait)
    with user_errors(stage):
        lock.acquire()
    try:
        # The job runs beside Prefect's own large heap: keep the collector off it (~8 % of a
        # publish run; see pubflow.collector.settled_process).
        with settled_process():
            yield
    finally:
        lock.release()


def preview_url(cfg: Settings, site_path: str = "") -> str:
    """Link to an output through the preview server started by ``make serve``."""
    return f"http://{cfg.host}:{cfg.preview_port}/{site_path.lstrip('/')}"


class _ArtifactSender:
    """Sends a flow run's artifacts from one background thread, in the order they were made.

    Each artifact is a round trip to the server (~70 ms here, 21 of them in a publish run:
    0.8-1.5 s of waiting); sent from a thread, they overlap with the build. Each call runs in
    a copy of the caller's context, so it is filed under the same flow and task run.
    """

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pubflow-artifacts")
        self._sent: list[Future[Any]] = []

    def send(self, function: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        future = self._executor.submit(contextvars.copy_context().run, function, **kwargs)
        self._sent.append(future)
        return future

    def close(self) -> BaseException | None:
        """Wait for every artifact; the first failure to send one, if any."""
        self._executor.shutdown(wait=True)
        return next((f.exception() for f in self._sent if f.exception() is not None), None)


_SENDER: contextvars.ContextVar[_ArtifactSender | None] = contextvars.ContextVar(
    "pubflow_artifact_sender", default=None
)


@contextmanager
def artifacts_in_background() -> Iterator[None]:
    """Inside, :func:`send_artifact` and :class:`Progress` send from a background thread; at
    the end of the block every artifact has reached the server (a failure to send one is
    raised then, unless the block itself failed). Nested blocks share the outermost's thread.
    """
    if _SENDER.get() is not None:
        yield
        return
    sender = _ArtifactSender()
    token = _SENDER.set(sender)
    failed = True
    try:
        yield
        failed = False
    finally:
        _SENDER.reset(token)
        problem = sender.close()
        if problem is not None and not failed:
            raise problem


def send_artifact(function: Callable[..., Any], /, **kwargs: Any) -> None:
    """``function(**kwargs)`` (a ``prefect.artifacts`` creator): from the background thread
    inside :func:`artifacts_in_background`, else now."""
    sender = _SENDER.get()
    if sender is None:
        function(**kwargs)
    else:
        sender.send(function, **kwargs)


class Progress:
    """A progress artifact that long flows update as they go (0–100 %)."""

    def __init__(self, description: str) -> None:
        sender = _SENDER.get()
        self._created: Future[Any] | None = None
        self.artifact_id: UUID | None = None
        if sender is None:
            self.artifact_id = create_progress_artifact(  # type: ignore[assignment]
                progress=0.0, description=description
            )
        else:
            self._created = sender.send(create_progress_artifact, progress=0.0, description=description)
        self.last = 0.0
        self.last_at = time.monotonic()

    def _send_update(self, percent: float) -> None:
        # In the sender's thread, after the artifact was created (one thread, in order).
        artifact_id = self._created.result() if self._created is not None else self.artifact_id
        if artifact_id is not None:
            update_progress_artifact(artifact_id=artifact_id, progress=percent)

    # Each update is a synchronous write to the server (10-20 ms): a page build reporting every
    # 2 % spent half a second of a 3-second task on its progress bar. Report visible steps, at
    # most one a second (the UI polls slower than that), and always the end.
    MIN_STEP = 2.0
    MIN_INTERVAL_S = 1.0

    def update(self, percent: float) -> None:
        percent = max(0.0, min(100.0, percent))
        if (self.artifact_id is None and self._created is None) or percent == self.last:
            return
        now = time.monotonic()
        due = percent - self.last >= self.MIN_STEP and now - self.last_at >= self.MIN_INTERVAL_S
        if due or percent == 100:
            send_artifact(self._send_update, percent=percent)
            self.last, self.last_at = percent, now


def coverage_table(rows: Iterable[Any], key: str = "translation-coverage") -> None:
    """Publish ``pubflow.i18n.stats`` rows as a table artifact, one row per language."""
    from pubflow.i18n.stats import coverage_by_locale

    threshold = settings().coverage_threshold
    table = coverage_by_locale(rows, threshold)
    if table:
        send_artifact(
            create_table_artifact,
            table=table,
            key=key,
            description=(
                f"Translation coverage per language (fuzzy never counts); below_threshold: "
                f"domains under {threshold:g} % reviewed. `pubflow stats` lists every domain."
            ),
        )


def tree_fingerprint(paths: Iterable[Path]) -> str:
    """A hash of the names and contents of every file under ``paths``.

    Cache keys use it so a cached step reruns when any input (or output) changes; contents
    rather than mtimes keep a fresh clone's cache valid. A file's hash is reused while its
    ``(size, mtime_ns, inode)`` is unchanged (``build/incremental/flow-inputs.json``), so
    the 1,000+ catalogs of a big project cost a ``stat`` each, not a read, per cached step.
    """
    cfg = settings()
    state_file = state_path(cfg, "flow-inputs.json")
    previous = read_state(state_file, "flow-inputs")
    hashes = FileHashes(cfg.root, previous.get("hashes"))
    parts: list[object] = []
    for base in sorted(paths):
        if not base.exists():
            parts.append(("missing", str(base)))
        elif base.is_file():
            parts.append((base.name, hashes.sha256(base)))
        else:
            parts.append((base.name, sorted(hashes.tree(base).items())))
    try:
        write_state(state_file, "flow-inputs", {"hashes": hashes.records(now_ns())}, previous)
    except OSError:
        pass  # only saves work next time
    return digest(parts)


def outputs_intact(manifest: Path, base: Path) -> bool:
    """True when a build manifest exists and every file it lists is still on disk.

    A cached build step is only trusted when its outputs are intact; otherwise the flow
    refreshes the cache (the step runs and stores its result under the same inputs key).
    Understands the site manifest (``{"files": {path: …}}``) and the newsletter manifest
    (``{"locales": {code: {"files": {name: {"path": …}}}}}``), paths relative to ``base``.
    """
    import json

    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if "files" in data:
            names = list(data["files"])
        else:
            names = [
                output["path"]
                for entry in data["locales"].values()
                for output in entry.get("files", {}).values()
            ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return all((base / name).is_file() for name in names)


def inputs_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Cache key of a pure build step: its name, parameters, every input file and PUBFLOW_* env."""
    cfg = settings()
    inputs = tree_fingerprint(
        [cfg.articles_path, cfg.newsletters_path, cfg.locales_path, cfg.templates_path,
         cfg.root / "pyproject.toml"]
    )
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PUBFLOW_"))
    material = repr((context.task.name, sorted(parameters.items(), key=str), inputs, env))
    return hashlib.sha256(material.encode()).hexdigest()


def markdown_links(title: str, lines: Iterable[str]) -> str:
    """A small markdown document: a heading and a bullet list."""
    body = "\n".join(f"- {line}" for line in lines) or "- (nothing)"
    return f"## {title}\n\n{body}\n"


SECRET_BLOCKS = {
    "deepl_api_key": "pubflow-deepl-api-key",
    "microsoft_api_key": "pubflow-microsoft-api-key",
    "libre_api_key": "pubflow-libre-api-key",
    "smtp_password": "pubflow-smtp-password",
    "unsubscribe_secret": "pubflow-unsubscribe-secret",
}
"""Setting → name of the Prefect Secret block that may hold it (environment variables win)."""


def secret_overrides(*names: str) -> dict[str, str]:
    """Values of the Secret blocks for ``names`` that exist and are not set in the environment.

    The values go straight into settings; they are never logged or put in an artifact.
    """
    from prefect.blocks.system import Secret

    found: dict[str, str] = {}
    for name in names:
        if os.environ.get(f"PUBFLOW_{name.upper()}"):
            continue
        try:
            found[name] = str(Secret.load(SECRET_BLOCKS[name]).get())
        except (ValueError, KeyError):  # no such block: the setting stays as configured
            continue
    return found
