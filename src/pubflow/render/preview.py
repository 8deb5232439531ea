"""Local preview: serve the built site over HTTP and rebuild when a catalog changes.

A translator saves a ``.po`` in Poedit, reloads the browser, and sees the page in their
language. Watched: ``locales/**/*.po`` (and ``.pot``), the canonical articles, the newsletter
issues and the templates. Newsletter issues built before (their folder under
``dist/newsletter/``) are rebuilt with the site, so their web copies
(``<lang>/newsletter/<issue>/``) show a newsletter translation too; an issue nobody built is
left alone.
Bursts of saves are debounced into one rebuild; a rebuild that fails (a template error, an
unreadable catalog) is reported and the last good site stays served. Each build holds the
project run lock (:mod:`pubflow.runlock`) like every other job that writes ``dist/`` and
``build/``: a save made while a publish runs is rebuilt once that publish is done.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from watchfiles import Change, watch

from pubflow.config import Settings
from pubflow.errors import ConfigError, PubflowError
from pubflow.render.publishing import requested_locales
from pubflow.render.site import SiteReport, render_site
from pubflow.runlock import ProjectBusyError, ProjectRunLock

WATCHED_SUFFIXES = (".po", ".pot", ".md", ".html", ".css", ".mjml", ".txt", ".toml")
DEBOUNCE_MS = 400
QUEUE_SECONDS = 900.0
"""How long a rebuild waits behind another job (a publish) before it is skipped (and said so):
a translator's save is queued, as the ``refresh-locale`` flow queues, not refused."""

Log = Callable[[str], None]


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files, never cached (a reload must show the last rebuild), no access log noise."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — stdlib signature
        return


def _is_watched(change: Change, path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and name.endswith(WATCHED_SUFFIXES)


class Preview:
    """The preview server of one project: ``start()``, then ``watch()`` until stopped.

    ``port=0`` picks a free port (tests); :attr:`url` tells which.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        locales: Sequence[str] | None = None,
        log: Log = print,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        self.settings = settings
        self.host = host or settings.host
        self.port = settings.preview_port if port is None else port
        # Checked now: a rebuild error is only logged, so a mistyped --locale would serve forever
        # without ever building it.
        self.locales = list(requested_locales(settings, locales)) if locales else None
        self.site_dir = settings.dist_path / "site"
        self.log = log
        self.builds = 0
        self.queue_seconds = queue_seconds
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            return f"http://{self.host}:{self.port}/"
        host, port = self._server.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def build(self) -> SiteReport | None:
        """Rebuild the site; a user error is logged (the previous site stays served)."""
        try:
            with self._project_lock():
                report = render_site(self.settings, self.locales)
                self._rebuild_newsletters()
        except ProjectBusyError as busy:
            self.log(
                f"rebuild skipped: {busy.who} was still running after {self.queue_seconds:g} s; "
                "save again once it is done (the last build stays served)"
            )
            return None
        except PubflowError as exc:
            self.log(f"rebuild failed: {exc.describe()}")
            return None
        self.builds += 1
        return report

    def built_issues(self) -> list[str]:
        """Issues with a build under ``dist/newsletter/`` and an issue file still there."""
        folder = self.settings.dist_path / "newsletter"
        if not folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir() and (self.settings.newsletters_path / f"{entry.name}.toml").is_file()
        )

    def _rebuild_newsletters(self) -> None:
        """The built issues again (unchanged languages are replayed, not rendered); what fails
        is logged: the translator sees a broken newsletter string as they see a page's."""
        issues = self.built_issues()
        if not issues:
            return
        from pubflow.newsletter.build import render_newsletters

        for report in render_newsletters(self.settings, issues, self.locales):
            if report.error is not None:
                self.log(f"newsletter {report.issue_id} not rebuilt: {report.error.describe()}")
            for failed in report.failed:
                self.log(f"newsletter {report.issue_id} not rebuilt for {failed.describe_failure()}")

    @contextmanager
    def _project_lock(self) -> Iterator[None]:
        """Hold the project run lock; when a publish or build holds it, say so and queue."""
        lock = ProjectRunLock(self.settings, "pubflow preview", wait=0)
        try:
            lock.acquire()
        except ProjectBusyError as busy:
            self.log(f"waiting for {busy.who} to finish before rebuilding")
            lock = ProjectRunLock(self.settings, "pubflow preview", wait=self.queue_seconds)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def start(self) -> SiteReport | None:
        """Serve ``dist/site/`` in a background thread, then build once.

        Serving comes first: a busy port fails at once, and while the build waits behind a
        running publish (see :meth:`build`) the last site is already served (``make serve``
        waits for this URL to answer).
        """
        self.site_dir.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(self.site_dir))
        try:
            self._server = ThreadingHTTPServer((self.host, self.port), handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot serve on {self.host}:{self.port}: {exc.strerror or exc}",
                hint="choose another port with --port, or stop the program using this one",
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="pubflow-preview", daemon=True
        )
        self._thread.start()
        return self.build()

    def watched_paths(self) -> list[Path]:
        """Folders whose changes trigger a rebuild (only those that exist)."""
        folders = [
            self.settings.locales_path,
            self.settings.articles_path,
            self.settings.newsletters_path,
            self.settings.templates_path,
        ]
        return [folder for folder in folders if folder.is_dir()]

    def watch(
        self,
        stop_event: threading.Event | None = None,
        *,
        on_rebuild: Callable[[SiteReport | None], None] | None = None,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        """Rebuild after each (debounced) burst of changes until ``stop_event`` is set."""
        paths = self.watched_paths()
        if not paths:
            return
        for changes in watch(
            *paths,
            watch_filter=_is_watched,
            debounce=debounce_ms,
            stop_event=stop_event,
            raise_interrupt=False,
        ):
            names = sorted({Path(path).name for _, path in changes})
            self.log(f"changed: {', '.join(names)} — rebuilding")
            report = self.build()
            if report is not None:
                self.log(f"rebuilt: {len(report.written)} file(s) updated")
            if on_rebuild is not None:
                on_rebuild(report)

    def close(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
