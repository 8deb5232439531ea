"""Settings: ``[tool.pubflow]`` in pyproject.toml, overridden by ``PUBFLOW_<NAME>`` variables.

Precedence (highest first): explicit overrides (CLI options, flow parameters), environment
variables, pyproject.toml, the defaults below. Relative paths are resolved against the project
root (the folder holding the pyproject.toml with a ``[tool.pubflow]`` table).

Settings are read by a few dozen lines of our own rather than pydantic-settings: every command,
build and flow starts by loading them, and importing pydantic and pydantic-settings took
~150 ms of each start (a third of the command line's, a twentieth of a full build's) for what
is a flat table of text, numbers, paths and choices. Every value is checked against its
annotation and limits below, and a bad one is a :class:`~pubflow.errors.ConfigError` naming
the setting, where it came from (the pyproject.toml line or the variable) and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pubflow.errors import ConfigError, toml_problem
from pubflow.locales import validate_locale

PublishPolicy = Literal["reviewed", "machine"]
SmtpSecurity = Literal["none", "starttls", "ssl"]

ENV_PREFIX = "PUBFLOW_"
TABLE = ("tool", "pubflow")


class Secret:
    """A credential: shown as ``**********`` in reprs, logs and fingerprints; the value only
    through :meth:`get_secret_value`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __getstate__(self) -> str:
        return self._value

    def __setstate__(self, state: str) -> None:
        self._value = state


def setting(
    default: Any = dataclasses.MISSING,
    *,
    factory: Any = dataclasses.MISSING,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    doc: str | None = None,
) -> Any:
    """A settings field with its limits (checked by :func:`load_settings`) and help text."""
    limits = {
        name: value
        for name, value in (("ge", ge), ("le", le), ("gt", gt))
        if value is not None
    }
    return field(
        default=default,
        default_factory=factory,
        metadata={"limits": limits, "doc": doc},
    )


@functools.lru_cache(maxsize=1024)
def _project_path(root: Path, relative: Path, child: str | None) -> Path:
    """A configured path resolved against the root: remembered, because a build asks for the
    same few folders tens of thousands of times (a catalog's compiled files, a page's
    folder) and each pathlib join costs more than the lookup that needs it."""
    path = relative if relative.is_absolute() else root / relative
    return path / child if child else path


@dataclass(eq=True, repr=True)
class Settings:
    """Every setting of pubflow, with the default used by the embedded (offline) set-up.

    Made by :func:`load_settings` (which checks every value); :meth:`copy` gives a changed,
    checked copy."""

    root: Path = setting(factory=Path.cwd, doc="project root (set automatically)")  # noqa: RUF009 (setting() is a dataclasses.field)

    # Languages
    source_locale: str = "en"
    locales: list[str] = setting(  # noqa: RUF009
        factory=lambda: ["de", "es", "fr", "ar", "pt_BR", "en_XA"],
        doc="target locales (the source locale is always published)",
    )

    # Folders, relative to the root
    content_dir: Path = Path("content")
    locales_dir: Path = Path("locales")
    templates_dir: Path = Path("templates")
    build_dir: Path = Path("build")
    dist_dir: Path = Path("dist")
    var_dir: Path = Path("var")

    # Publishing
    site_url: str = "https://pubflow.example.org"
    site_name: str = "pubflow"
    publish_policy: PublishPolicy = "reviewed"
    coverage_threshold: float = setting(
        50.0,
        ge=0,
        le=100,
        doc="minimum percent reviewed, per domain, to publish a page",
    )
    run_lock_wait: float = setting(
        5.0, ge=0, le=86400,
        doc="seconds a publish or build waits for another one in the project before giving up",
    )  # fmt: skip

    workers: int = setting(
        0, ge=0, le=64,
        doc="processes that compile catalogs and render pages side by side; "
        "0 = one per CPU core (at most 8), 1 = everything in the calling process",
    )  # fmt: skip

    # Machine translation
    mt_backend: str = "google"
    mt_base_url: str | None = None
    mt_timeout: float = setting(20.0, gt=0)
    mt_concurrency: int = setting(4, ge=1, le=64)
    mt_requests_per_second: float = setting(5.0, gt=0)
    mt_retries: int = setting(4, ge=0, le=20)
    mt_backoff: float = setting(
        1.0, gt=0, doc="first retry delay in seconds (doubles per retry, jittered)"
    )
    translation_memory: Path = Path("var/translation-memory.sqlite3")
    # Backend credentials: from PUBFLOW_* variables (or a Prefect Secret block via the flows),
    # never from a committed file; Secret keeps them out of reprs and logs.
    deepl_api_key: Secret | None = None
    microsoft_api_key: Secret | None = None
    microsoft_region: str | None = None
    libre_api_key: Secret | None = None
    mymemory_email: str | None = None

    # Newsletter and mail
    mail_from: str = "pubflow newsletter <newsletter@pubflow.example.org>"
    reply_to: str | None = None
    list_id: str = "pubflow newsletter <newsletter.pubflow.example.org>"
    unsubscribe_url: str | None = None  # defaults to {site_url}/unsubscribe
    unsubscribe_mailto: str = "unsubscribe@pubflow.example.org"
    unsubscribe_secret: Secret | None = None
    subscribers_db: Path = Path("var/subscribers.sqlite3")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = setting(1025, ge=1, le=65535)
    smtp_security: SmtpSecurity = "none"
    smtp_user: str | None = None
    smtp_password: Secret | None = None
    smtp_timeout: float = setting(30.0, gt=0)
    send_rate: float = setting(10.0, gt=0, doc="messages per second at most")
    smtp_retries: int = setting(
        5, ge=0, le=20, doc="retries of a transient SMTP failure per message"
    )
    smtp_backoff: float = setting(
        2.0, ge=0, le=600, doc="first retry delay in seconds (doubles, max 60 s)"
    )
    smtp_ca_file: Path | None = setting(  # noqa: RUF009
        None, doc="extra CA bundle (PEM) to trust for STARTTLS/SSL"
    )

    # Schedule of the build-newsletter deployment (inactive until switched on in the UI)
    newsletter_cron: str = "0 7 1 * *"
    newsletter_timezone: str = "Europe/Berlin"

    # Local servers
    host: str = "127.0.0.1"
    preview_port: int = setting(8000, ge=1, le=65535)
    unsubscribe_port: int = setting(8001, ge=1, le=65535)

    # Copies and dumps -------------------------------------------------------------------------
    def copy(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (each checked as a loaded value is); lists are
        copied, so changing the copy never changes this one."""
        values = {
            spec.name: getattr(self, spec.name) for spec in dataclasses.fields(self)
        }
        values["locales"] = list(values["locales"])
        for name, value in changes.items():
            values[name] = _checked(name, value, _Origin("override", name))
        return Settings(**values)

    def as_json(
        self, exclude: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Any]:
        """Every setting as JSON values (paths as text, secrets masked), but ``exclude``."""
        return {
            spec.name: _json_value(getattr(self, spec.name))
            for spec in dataclasses.fields(self)
            if spec.name not in exclude
        }

    # Derived paths -------------------------------------------------------------------------
    def path(self, relative: Path, child: str | None = None) -> Path:
        """Resolve a configured path against the project root (then ``child`` under it)."""
        return _project_path(self.root, relative, child)

    @property
    def all_locales(self) -> list[str]:
        """Source locale first, then the targets (without duplicates)."""
        return [
            self.source_locale,
            *(c for c in self.locales if c != self.source_locale),
        ]

    @property
    def sources_path(self) -> Path:
        return self.path(self.content_dir, "sources")

    @property
    def articles_path(self) -> Path:
        return self.path(self.content_dir, "articles")

    @property
    def newsletters_path(self) -> Path:
        return self.path(self.content_dir, "newsletters")

    @property
    def locales_path(self) -> Path:
        return self.path(self.locales_dir)

    @property
    def templates_path(self) -> Path:
        return self.path(self.templates_dir)

    @property
    def build_path(self) -> Path:
        return self.path(self.build_dir)

    @property
    def compiled_locales_path(self) -> Path:
        return self.path(self.build_dir, "locales")

    @property
    def cache_path(self) -> Path:
        """Caches that only save work (``templates/``: compiled Jinja templates;
        ``locale-facts.json``: autonyms and text directions; ``articles.pickle``: parsed
        articles)."""
        return self.path(self.build_dir, "cache")

    @property
    def dist_path(self) -> Path:
        return self.path(self.dist_dir)

    @property
    def var_path(self) -> Path:
        return self.path(self.var_dir)

    @property
    def subscribers_db_path(self) -> Path:
        return self.path(self.subscribers_db)

    @property
    def translation_memory_path(self) -> Path:
        return self.path(self.translation_memory)

    @property
    def unsubscribe_base_url(self) -> str:
        return self.unsubscribe_url or f"{self.site_url.rstrip('/')}/unsubscribe"


def _json_value(value: Any) -> Any:
    if isinstance(value, Secret):
        return "**********"  # a fingerprint or a dump never holds a credential
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


# Checking values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a value came from, for the error message: pyproject.toml (and its line), a
    ``PUBFLOW_*`` variable, or an override (a command-line option or flow parameter)."""

    kind: Literal["pyproject", "env", "override"]
    name: str  # the key, the variable or the setting
    line: int | None = None


class _Invalid(ValueError):
    """A value that does not fit its setting (the message says what is allowed)."""


@functools.cache
def _fields() -> dict[str, tuple[Any, dict[str, float]]]:
    """Setting name → (its annotation, its limits)."""
    hints = typing.get_type_hints(Settings)
    return {
        spec.name: (hints[spec.name], spec.metadata.get("limits", {}))
        for spec in dataclasses.fields(Settings)
    }


def _checked(name: str, value: Any, origin: _Origin) -> Any:
    """``value`` as setting ``name`` holds it; ConfigError naming ``origin`` when it is invalid."""
    known = _fields()
    if name not in known:
        raise _unknown(name, origin)
    hint, limits = known[name]
    try:
        if name == "locales":
            value = _split_locales(value)
        converted = _convert(hint, value)
        _within(converted, limits)
        if name == "source_locale":
            converted = validate_locale(converted, where="source_locale")
        elif name == "locales":
            if not converted and origin.kind == "env":
                raise _Invalid("empty: list the target locales (de,fr) or unset the variable")
            converted = [validate_locale(code, where="locales") for code in converted]
        elif name in _EXTRA_CHECKS and converted is not None:
            _EXTRA_CHECKS[name](converted)
    except (_Invalid, ConfigError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else str(exc)
        raise _invalid(name, message, origin) from None
    return converted


def _convert(hint: Any, value: Any) -> Any:
    """``value`` as type ``hint`` (text from a variable becomes a number, a path…)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if value is None or (value == "" and inner is not str):
            return None  # PUBFLOW_SMTP_CA_FILE= (empty) unsets an optional path or secret
        return _convert(inner, value)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value in choices:
            return value
        raise _Invalid(f"{value!r} is not one of {', '.join(repr(c) for c in choices)}")
    if origin is list:
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) for item in value
        ):
            raise _Invalid(f"expected a list of texts, got {value!r}")
        return list(value)
    if hint is str:
        if isinstance(value, str):
            return value
        raise _Invalid(f"expected text, got {value!r} (write it in quotes)")
    if hint is int:
        return _whole_number(value)
    if hint is float:
        return _number(value)
    if hint is Path:
        if isinstance(value, Path):
            return value
        if isinstance(value, str) and value and "\x00" not in value:
            return Path(value)
        raise _Invalid(f"expected a path, got {value!r}")
    if hint is Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
        raise _Invalid("expected text")
    raise TypeError(f"no conversion to {hint!r}")  # a setting of a new type: add it here


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid(f"expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Invalid(f"expected a whole number, got {value!r}")


def _number(value: Any) -> float:
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or math.isnan(number):
        raise _Invalid(f"expected a number, got {value!r}")
    return number


def _within(value: Any, limits: dict[str, float]) -> None:
    if "ge" in limits and value < limits["ge"]:
        raise _Invalid(
            f"{value!r} is less than {limits['ge']:g}; it must be at least {limits['ge']:g}"
        )
    if "gt" in limits and value <= limits["gt"]:
        raise _Invalid(
            f"{value!r} is too small; it must be greater than {limits['gt']:g}"
        )
    if "le" in limits and value > limits["le"]:
        raise _Invalid(
            f"{value!r} is more than {limits['le']:g}; it must be at most {limits['le']:g}"
        )


def _one_line(value: str) -> None:
    # These go into mail headers: a line break would start a header of its own.
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise _Invalid(f"{value!r} holds a line break or control character")


def _web_address(value: str) -> None:
    _one_line(value)
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise _Invalid(f"{value!r} is not an http(s) address such as https://example.org")


def _unsubscribe_base(value: str) -> None:
    _web_address(value)
    from urllib.parse import urlsplit

    # The token is appended as a path segment ({url}/TOKEN): after a query or fragment it
    # would land inside that part and the link would not reach the unsubscribe app.
    parts = urlsplit(value)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise _Invalid(
            f"{value!r} has a query or fragment (?…/#…); the token is appended as a path "
            "segment, so give a plain address such as https://example.org/unsubscribe"
        )


def _mail_address(value: str) -> None:
    _one_line(value)
    if value.count("@") != 1 or " " in value or value.startswith("@") or value.endswith("@"):
        raise _Invalid(f"{value!r} is not an email address such as unsubscribe@example.org")


def _time_zone(value: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _Invalid(f"{value!r} is not a time zone (use an IANA name such as Europe/Berlin)") from None


_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?#-]+")


def _cron(value: str) -> None:
    # The shape only (five fields of cron characters): Prefect checks the values when it
    # schedules; "every day" should not wait until then.
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(item) for item in fields):
        raise _Invalid(f"{value!r} is not a cron schedule (five fields, such as '0 7 1 * *')")


def _host(value: str) -> None:
    if not value or any(char.isspace() or char in "/?#@" for char in value):
        raise _Invalid(f"{value!r} is not a host name or address (such as 127.0.0.1)")


_EXTRA_CHECKS: dict[str, Any] = {
    "newsletter_cron": _cron,
    "host": _host,
    "smtp_host": _host,
    "site_url": _web_address,
    "unsubscribe_url": _unsubscribe_base,
    "mt_base_url": _web_address,
    "mail_from": _one_line,
    "reply_to": _one_line,
    "list_id": _one_line,
    "site_name": _one_line,
    "unsubscribe_mailto": _mail_address,
    "newsletter_timezone": _time_zone,
}
"""Settings whose text has a shape to keep (checked after the type and limits)."""


def _split_locales(value: Any) -> Any:
    """``PUBFLOW_LOCALES`` may be ``de,fr`` or a JSON list; pyproject.toml gives a list."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            raise _Invalid(
                'write a JSON list such as ["de", "fr"], or codes separated by commas'
            ) from None
    return [code.strip() for code in text.split(",") if code.strip()]


def _where(origin: _Origin) -> str:
    if origin.kind == "env":
        return f"the {origin.name} variable"
    if origin.kind == "pyproject":
        return f"[tool.pubflow] {origin.name}"  # the error's path names the file
    return f"the {origin.name} option"


def _invalid(name: str, message: str, origin: _Origin) -> ConfigError:
    return ConfigError(
        f"invalid setting {name} (from {_where(origin)}): {message}",
        line=origin.line,
        hint=f"fix {_where(origin)}",
    )


def _unknown(name: str, origin: _Origin) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(name, list(_fields()), n=1)
    return ConfigError(
        f"unknown setting {name!r}"
        + (" in [tool.pubflow]" if origin.kind == "pyproject" else ""),
        line=origin.line,
        hint=f"did you mean {close[0]!r}?"
        if close
        else "see the README's Configuration section for the settings",
    )


# Loading ------------------------------------------------------------------------------------


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` whose pyproject.toml has ``[tool.pubflow]``.

    ``PUBFLOW_ROOT`` wins when set. Falls back to ``start`` itself (defaults apply).
    """
    env_root = os.environ.get("PUBFLOW_ROOT")
    if env_root:
        return Path(env_root).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _pubflow_table(candidate) is not None:
            return folder
    return here


def require_project(root: Path) -> None:
    """ConfigError unless ``root`` holds a pyproject.toml with a ``[tool.pubflow]`` table.

    For the command line: run from the wrong folder (or with a mistyped ``PUBFLOW_ROOT`` or
    ``--root``), a command would otherwise work on an empty project of defaults there —
    ``check`` passing on no catalogs, ``catalogs update`` creating ``build/`` in any folder.
    """
    if not root.is_dir():
        raise ConfigError(
            "the project folder does not exist",
            path=root,
            hint="check PUBFLOW_ROOT or --root (the folder with the pyproject.toml of the project)",
        )
    if _pubflow_table(root / "pyproject.toml") is None:
        raise ConfigError(
            "no pubflow project here: no pyproject.toml with a [tool.pubflow] table in this "
            "folder or above it",
            path=root,
            hint="run pubflow in the project's folder (or below it), or point PUBFLOW_ROOT or "
            "--root at it",
        )


def check_toml(path: Path) -> None:
    """ConfigError (with the line) when ``path`` exists and is not valid TOML."""
    _pubflow_table(path)


_TABLES: dict[Path, tuple[tuple[int, int, int], tuple[dict[str, Any], str] | None]] = {}
"""The last :func:`_pubflow_table` of each file, with the file's (size, mtime, inode): one
command asks up to three times (finding the project, checking it, loading its settings)."""


def _pubflow_table(path: Path) -> tuple[dict[str, Any], str] | None:
    """The ``[tool.pubflow]`` table of a pyproject.toml and the file's text (None: no such
    table or no file); ConfigError for a file that is not valid TOML."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    except OSError:
        status = None  # read below, which names the problem
    stamp = (status.st_size, status.st_mtime_ns, status.st_ino) if status is not None else None
    known = _TABLES.get(path)
    if known is not None and known[0] == stamp:
        return copy.deepcopy(known[1])  # callers may change what they get
    found = _read_pubflow_table(path)
    if stamp is not None:
        _TABLES[path] = (stamp, copy.deepcopy(found))
    return found


def _read_pubflow_table(path: Path) -> tuple[dict[str, Any], str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read settings: {exc}", path=path, hint="fix the file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem, line = toml_problem(exc)
        raise ConfigError(
            f"cannot read settings: {problem}", path=path, line=line, hint="fix the TOML syntax"
        ) from None
    tool = data.get("tool")
    table = tool.get("pubflow") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(
            "[tool.pubflow] is not a table",
            path=path,
            hint="write the settings under a [tool.pubflow] header",
        )
    return table, text


def _key_line(text: str, key: str) -> int | None:
    """The line of ``key = …`` in the ``[tool.pubflow]`` table (for error messages)."""
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.replace(" ", "") == "[tool.pubflow]"
        elif inside and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None


def _environment() -> dict[str, str]:
    """``PUBFLOW_<NAME>`` variables (names in any case) by setting name; ``PUBFLOW_ROOT`` is
    :func:`find_root`'s, and other names are ignored (other tools may share the prefix)."""
    found: dict[str, str] = {}
    known = _fields()
    for variable in os.environ:
        upper = variable.upper()
        if upper.startswith(ENV_PREFIX):
            name = upper[len(ENV_PREFIX) :].lower()
            if name in known and name != "root":
                found[name] = variable
    return found


def load_settings(root: Path | None = None, **overrides: Any) -> Settings:
    """Load settings for the project at ``root`` (found from the cwd when omitted).

    Invalid values raise :class:`ConfigError` naming the setting, where it came from and
    what is allowed.
    """
    project_root = (root or find_root()).resolve()
    pyproject = project_root / "pyproject.toml"
    if not project_root.is_dir():
        require_project(project_root)  # says the folder does not exist
    values: dict[str, Any] = {}
    origins: dict[str, _Origin] = {}
    try:
        found = _pubflow_table(pyproject)
        if found is not None:
            table, text = found
            for key, value in table.items():
                origins[key] = _Origin("pyproject", key, _key_line(text, key))
                values[key] = _checked(key, value, origins[key])
    except ConfigError as exc:
        exc.path = exc.path or pyproject
        raise
    # A variable's or an option's error names the variable or option, not pyproject.toml.
    for name, variable in _environment().items():
        origins[name] = _Origin("env", variable)
        values[name] = _checked(name, os.environ[variable], origins[name])
    for name, value in overrides.items():
        if value is not None:
            origins[name] = _Origin("override", name)
            values[name] = _checked(name, value, origins[name])
    values["root"] = project_root  # the project's folder, whatever a table or variable says
    settings = Settings(**values)
    _check_places(settings, origins, pyproject)
    return settings


def mistyped_variables() -> list[tuple[str, str]]:
    """``(variable, the setting's variable it was probably meant to be)`` for each
    ``PUBFLOW_*`` variable that is no setting but close to one (``PUBFLOW_LOCALE``).

    Such variables are ignored like any unknown name (other tools and scripts may share the
    prefix); the command line warns about these, as a typo would otherwise go unnoticed."""
    import difflib

    known = [name for name in _fields() if name != "root"]
    found: list[tuple[str, str]] = []
    for variable in sorted(os.environ):
        upper = variable.upper()
        name = upper[len(ENV_PREFIX) :].lower()
        if not upper.startswith(ENV_PREFIX) or name in known or name == "root":
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            found.append((variable, ENV_PREFIX + close[0].upper()))
    return found


_FOLDERS = ("content_dir", "locales_dir", "templates_dir", "build_dir", "dist_dir", "var_dir")
_FILES = ("translation_memory", "subscribers_db", "smtp_ca_file")


def _check_places(settings: Settings, origins: dict[str, _Origin], pyproject: Path) -> None:
    """A configured folder that is a file (or a file setting that is a folder) stops here,
    named, rather than as an OSError deep inside the first stage that writes there."""
    for name, want_folder in [*((n, True) for n in _FOLDERS), *((n, False) for n in _FILES)]:
        origin = origins.get(name)
        if origin is None or getattr(settings, name) is None:
            continue  # the defaults: the stages create them
        place = settings.path(getattr(settings, name))
        if place.is_file() if want_folder else place.is_dir():
            kind, wanted = ("a file", "a folder") if want_folder else ("a folder", "a file")
            raise ConfigError(
                f"invalid setting {name} (from {_where(origin)}): {place} is {kind}",
                path=pyproject if origin.kind == "pyproject" else None,
                line=origin.line,
                hint=f"point {_where(origin)} at {wanted}",
            )
