"""A LibreTranslate-compatible HTTP server for tests: real sockets on 127.0.0.1, no internet.

It speaks enough of LibreTranslate's API for deep-translator's ``LibreTranslator`` (``POST
/translate`` with ``q``, ``source``, ``target``, ``format``, ``api_key`` in the query string or
a form/JSON body; answer ``{"translatedText": …}``), counts every request and can be told to
misbehave, per request (``script``, consumed first) or for good (``default``).

The "translation" is readable and keeps tokens: ``"Hello ⟦0⟧"`` into ``de`` becomes
``"DE: HELLO ⟦0⟧"``.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Behaviour = str
"""``ok``, ``429``, ``500``, ``403``, ``hang``, ``malformed``, ``script``, ``drop-tokens``,
``echo``, ``empty``, ``truncate``, ``leak-key``, ``slow`` (answers after ``slow_seconds``)."""


def fake_translation(text: str, target: str) -> str:
    """Upper-case the text and prefix the target language (tokens ⟦n⟧ are unaffected)."""
    return f"{target.upper()}: {text.upper()}"


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    params: dict[str, str]


@dataclass
class LibreState:
    default: Behaviour = "ok"
    script: list[Behaviour] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    slow_seconds: float = 0.2
    retry_after: str | None = None  # the Retry-After header of each 429, when set
    translate: Callable[[str, str], str] = fake_translation
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    peak_in_flight: int = 0

    def next_behaviour(self) -> Behaviour:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    @property
    def count(self) -> int:
        """Requests to /translate so far."""
        return sum(1 for seen in self.seen if seen.path == "/translate")

    def texts(self) -> list[str]:
        """Every ``q`` received, in order."""
        return [seen.params.get("q", "") for seen in self.seen if seen.path == "/translate"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    _counted = False  # the request being handled is counted in ``in_flight``

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — stdlib signature
        pass  # keep test output clean

    def _params(self) -> dict[str, str]:
        params = {key: values[-1] for key, values in parse_qs(urlsplit(self.path).query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body:
            if "json" in (self.headers.get("Content-Type") or ""):
                params.update({key: str(value) for key, value in json.loads(body).items()})
            else:
                params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()})
        return params

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        # A request stops counting as in flight before its answer goes out: once the client
        # has the answer it may send its next request, which must not find this one counted.
        self._done_in_flight()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers=headers)

    def do_GET(self) -> None:  # noqa: N802 — stdlib naming
        path = urlsplit(self.path).path
        self.server.state.seen.append(Seen(path, {}))
        if path == "/languages":
            codes = ["en", "de", "es", "fr", "ar", "pt"]
            self._json(200, [{"code": code, "name": code, "targets": codes} for code in codes])
        else:
            self._json(404, {"error": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802 — stdlib naming
        path = urlsplit(self.path).path
        params = self._params()
        state = self.server.state
        with state.lock:
            state.seen.append(Seen(path, params))
        if path != "/translate":
            self._json(404, {"error": "Not Found"})
            return
        with state.lock:
            state.in_flight += 1
            state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
        self._counted = True
        try:
            self._answer(state, params)
        finally:
            self._done_in_flight()  # no answer sent (a hang, or the client went away)

    def _done_in_flight(self) -> None:
        if self._counted:
            self._counted = False
            with self.server.state.lock:
                self.server.state.in_flight -= 1

    def _answer(self, state: LibreState, params: dict[str, str]) -> None:
        behaviour = state.next_behaviour()
        text, target = params.get("q", ""), params.get("target", "")
        if behaviour == "hang":
            state.release.wait(30)  # until the test ends; the client's timeout fires first
            return
        if behaviour == "slow":
            state.release.wait(state.slow_seconds)
            behaviour = "ok"
        if behaviour in ("429", "500", "403"):
            messages = {"429": "Slowdown: 1 per 1 second", "500": "boom", "403": "Invalid API key"}
            retry_after = state.retry_after if behaviour == "429" else None
            self._json(
                int(behaviour),
                {"error": messages[behaviour]},
                headers={"Retry-After": retry_after} if retry_after is not None else None,
            )
        elif behaviour == "malformed":
            self._send(200, b'{"translatedText": "unterminated', "application/json")
        elif behaviour == "script":
            self._json(200, {"translatedText": f"{state.translate(text, target)} <script>alert(1)</script>"})
        elif behaviour == "drop-tokens":
            import re

            self._json(200, {"translatedText": re.sub("\u27e6\\d+\u27e7", "", state.translate(text, target))})
        elif behaviour == "echo":
            self._json(200, {"translatedText": text})
        elif behaviour == "empty":
            self._json(200, {"translatedText": ""})
        elif behaviour == "truncate":
            self._json(200, {"translatedText": state.translate(text, target)[:12]})
        elif behaviour == "leak-key":
            self._json(200, {"translatedText": f"{text} {params.get('api_key', '')}"})
        else:
            self._json(200, {"translatedText": state.translate(text, target)})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: LibreState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout tests) leaves a broken pipe: expected, not news.
        # Anything else is printed as socketserver does.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class LibreTestServer:
    """Start with ``with LibreTestServer() as server:``; ``server.url`` ends with ``/``."""

    def __init__(self) -> None:
        self.state = LibreState()
        self._server = _Server(self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def __enter__(self) -> LibreTestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
