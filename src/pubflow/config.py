"""Settings: ``[tool.pubflow]`` in pyproject.toml, overridden by ``PUBFLOW_<NAME>`` variables.

Precedence (highest first): explicit overrides (CLI options, flow parameters), environment
variables, pyproject.toml, the defaults below. Relative paths are resolved against the project
root (the folder holding the pyproject.toml with a ``[tool.pubflow]`` table).
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from pubflow.errors import ConfigError
from pubflow.locales import validate_locale

PublishPolicy = Literal["reviewed", "machine"]
SmtpSecurity = Literal["none", "starttls", "ssl"]


@functools.lru_cache(maxsize=1024)
def _project_path(root: Path, relative: Path, child: str | None) -> Path:
    """A configured path resolved against the root: remembered, because a build asks for the
    same few folders tens of thousands of times (a catalog's compiled files, a page's
    folder) and each pathlib join costs more than the lookup that needs it."""
    path = relative if relative.is_absolute() else root / relative
    return path / child if child else path


class Settings(BaseSettings):
    """Every setting of pubflow, with the default used by the embedded (offline) set-up."""

    model_config = SettingsConfigDict(
        env_prefix="PUBFLOW_",
        extra="forbid",
        pyproject_toml_table_header=("tool", "pubflow"),
    )

    root: Path = Field(default_factory=Path.cwd, description="project root (set automatically)")

    # Languages
    source_locale: str = "en"
    # NoDecode: a PUBFLOW_LOCALES variable is read by _split_locales ("de,fr" or a JSON list),
    # not only as JSON (where "de" alone was an error).
    locales: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["de", "es", "fr", "ar", "pt_BR", "en_XA"],
        description="target locales (the source locale is always published)",
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
    coverage_threshold: float = Field(
        default=50.0, ge=0, le=100, description="minimum percent reviewed, per domain, to publish a page"
    )
    run_lock_wait: float = Field(
        default=5.0, ge=0, le=86400,
        description="seconds a publish or build waits for another one in the project before giving up",
    )

    workers: int = Field(
        default=0, ge=0, le=64,
        description="processes that compile catalogs and render pages side by side; "
        "0 = one per CPU core (at most 8), 1 = everything in the calling process",
    )

    # Machine translation
    mt_backend: str = "google"
    mt_base_url: str | None = None
    mt_timeout: float = Field(default=20.0, gt=0)
    mt_concurrency: int = Field(default=4, ge=1, le=64)
    mt_requests_per_second: float = Field(default=5.0, gt=0)
    mt_retries: int = Field(default=4, ge=0, le=20)
    mt_backoff: float = Field(
        default=1.0, gt=0, description="first retry delay in seconds (doubles per retry, jittered)"
    )
    translation_memory: Path = Path("var/translation-memory.sqlite3")
    # Backend credentials: from PUBFLOW_* variables (or a Prefect Secret block via the flows),
    # never from a committed file; SecretStr keeps them out of reprs and logs.
    deepl_api_key: SecretStr | None = None
    microsoft_api_key: SecretStr | None = None
    microsoft_region: str | None = None
    libre_api_key: SecretStr | None = None
    mymemory_email: str | None = None

    # Newsletter and mail
    mail_from: str = "pubflow newsletter <newsletter@pubflow.example.org>"
    reply_to: str | None = None
    list_id: str = "pubflow newsletter <newsletter.pubflow.example.org>"
    unsubscribe_url: str | None = None  # defaults to {site_url}/unsubscribe
    unsubscribe_mailto: str = "unsubscribe@pubflow.example.org"
    unsubscribe_secret: SecretStr | None = None
    subscribers_db: Path = Path("var/subscribers.sqlite3")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: SmtpSecurity = "none"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30.0, gt=0)
    send_rate: float = Field(default=10.0, gt=0, description="messages per second at most")
    smtp_retries: int = Field(
        default=5, ge=0, le=20, description="retries of a transient SMTP failure per message"
    )
    smtp_backoff: float = Field(
        default=2.0, ge=0, le=600, description="first retry delay in seconds (doubles, max 60 s)"
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="extra CA bundle (PEM) to trust for STARTTLS/SSL"
    )

    # Schedule of the build-newsletter deployment (inactive until switched on in the UI)
    newsletter_cron: str = "0 7 1 * *"
    newsletter_timezone: str = "Europe/Berlin"

    # Local servers
    host: str = "127.0.0.1"
    preview_port: int = Field(default=8000, ge=1, le=65535)
    unsubscribe_port: int = Field(default=8001, ge=1, le=65535)

    @field_validator("source_locale")
    @classmethod
    def _check_source(cls, value: str) -> str:
        return validate_locale(value, where="source_locale")

    @field_validator("locales", mode="before")
    @classmethod
    def _split_locales(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a list from pyproject.toml or an override
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError('write a JSON list such as ["de", "fr"], or codes separated by commas') from None
        return [code.strip() for code in text.split(",") if code.strip()]

    @field_validator("locales")
    @classmethod
    def _check_locales(cls, value: list[str]) -> list[str]:
        return [validate_locale(code, where="locales") for code in value]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        root = Path(init_settings.init_kwargs.get("root") or Path.cwd())  # type: ignore[attr-defined]
        pyproject = PyprojectTomlConfigSettingsSource(settings_cls, root / "pyproject.toml")
        return (init_settings, env_settings, pyproject)

    # Derived paths -------------------------------------------------------------------------
    def path(self, relative: Path, child: str | None = None) -> Path:
        """Resolve a configured path against the project root (then ``child`` under it)."""
        return _project_path(self.root, relative, child)

    @property
    def all_locales(self) -> list[str]:
        """Source locale first, then the targets (without duplicates)."""
        return [self.source_locale, *(c for c in self.locales if c != self.source_locale)]

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
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(
                    f"cannot read settings: {exc}", path=candidate, hint="fix the TOML syntax"
                ) from exc
            if "pubflow" in data.get("tool", {}):
                return folder
    return here


def load_settings(root: Path | None = None, **overrides: Any) -> Settings:
    """Load settings for the project at ``root`` (found from the cwd when omitted).

    Invalid values raise :class:`ConfigError` naming the setting and where to fix it.
    """
    project_root = (root or find_root()).resolve()
    cleaned = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(root=project_root, **cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting {name}: {first['msg']}",
            path=project_root / "pyproject.toml",
            hint=f"fix [tool.pubflow] {name} or the PUBFLOW_{name.split('.')[0].upper()} variable",
        ) from None
    except SettingsError as exc:
        # A PUBFLOW_* variable that cannot be decoded (pydantic-settings reads structured
        # values as JSON): name it instead of showing a traceback.
        raise ConfigError(
            f"invalid setting: {exc}",
            path=project_root / "pyproject.toml",
            hint="check the PUBFLOW_* variables: lists and tables are written as JSON",
        ) from None
    except ConfigError as exc:
        exc.path = exc.path or project_root / "pyproject.toml"
        raise
