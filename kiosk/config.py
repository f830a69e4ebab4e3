"""The kiosk's configuration, declared once and typed.

Layers, later ones winning: compiled-in defaults (the field defaults below) ← the local TOML file written
at install time ← the activated remote configuration (signed; see ``with_overrides``).

Every problem in a file — unknown key, wrong type, out-of-range value, unreadable or missing file — is a
``ConfigError`` whose message is one line naming the file and the key, so a technician can fix it without
reading a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import ssl
import stat
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kiosk.config_file import CONFIG_ENV as CONFIG_ENV
from kiosk.config_file import INSTALLED_CONFIG_FILE as INSTALLED_CONFIG_FILE
from kiosk.config_file import ConfigError as ConfigError  # re-exported: callers catch it from here
from kiosk.config_file import default_config_path as default_config_path
from kiosk.config_file import read_config_file

APP_NAME = "civic-kiosk"
INSTALLED_STATE_DIR = Path("/var/lib/civic-kiosk")


class _Section(BaseModel):
    # Unknown keys are errors: a misspelt key must not silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class KioskSection(_Section):
    id: str = Field(default="demo-kiosk-01", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    language: Literal["zh_CN", "en"] = "zh_CN"
    elder_mode: bool = False


class ApiSection(_Section):
    base_url: str = Field(default="http://127.0.0.1:8700", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    credential_path: str = ""
    # The city's CA certificates (PEM). When set, the service's certificate must chain to them and to
    # nothing else: the kiosk trusts the city's CA, not every public CA. Empty: the public CAs.
    ca_file: str = ""
    # Mutual TLS: this kiosk's certificate and its private key (PEM files), both or neither.
    client_cert: str = ""
    client_key: str = ""
    connect_timeout_s: float = Field(default=3.05, gt=0, le=60)
    read_timeout_s: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _tls_files_usable(self) -> ApiSection:
        """The TLS files load now, so a bad path or PEM is a config error at start, not a retry loop."""
        if bool(self.client_cert) != bool(self.client_key):
            raise ValueError("client_cert and client_key are set together (a certificate and its key)")
        if not (self.ca_file or self.client_cert):
            return self
        if not self.base_url.startswith("https://"):
            raise ValueError("ca_file and client_cert need an https:// base_url")
        for name in ("ca_file", "client_cert", "client_key"):
            path = getattr(self, name)
            if path and not Path(path).is_file():
                raise ValueError(f"{name}: no file at {path}")
        if self.client_key and os.stat(self.client_key).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ValueError(
                f"client_key: {self.client_key} is accessible by other users (expected mode 0600)"
            )
        try:
            context = ssl.create_default_context(cafile=self.ca_file or None)
        except OSError as exc:  # ssl.SSLError included
            raise ValueError(
                f"ca_file: {self.ca_file} holds no usable PEM certificate ({_reason(exc)})"
            ) from None
        if self.client_cert:
            try:
                context.load_cert_chain(self.client_cert, self.client_key)
            except OSError as exc:
                raise ValueError(
                    f"client_cert, client_key: not a PEM certificate and its private key ({_reason(exc)})"
                ) from None
        return self


def _reason(error: OSError) -> str:
    return str(getattr(error, "reason", None) or error.strerror or type(error).__name__)


class DevicesSection(_Section):
    idcard: str = "sim:"
    scanner: str = "sim:"
    printer: str = "sim:"

    @field_validator("idcard", "scanner", "printer")
    @classmethod
    def _looks_like_uri(cls, value: str) -> str:
        if ":" not in value or value.startswith(":") or any(c.isspace() for c in value):
            raise ValueError("must be a device URI such as 'sam:///dev/kiosk-idcard' or 'sim:'")
        return value


class SessionSection(_Section):
    idle_warning_s: int = Field(default=60, ge=10, le=600)
    countdown_s: int = Field(default=30, ge=20, le=120)
    elder_idle_factor: float = Field(default=2.0, ge=1.0, le=4.0)


class StorageSection(_Section):
    state_dir: str = ""


class OutboxSection(_Section):
    retention_days: int = Field(default=30, ge=1, le=365)
    data_key_rotation_hours: int = Field(default=24, ge=1, le=24 * 31)
    device_key: str = ""


class UiSection(_Section):
    virtual_keyboard: bool = False
    voice: bool = True


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: str = ""


class FleetSection(_Section):
    """Remote configuration and heartbeats: the administrators' keys this kiosk trusts, its groups."""

    # Base64 Ed25519 public keys (what ``kiosk-admin keygen`` prints); no key means no remote config.
    pinned_keys: list[str] = Field(default_factory=list, max_length=16)
    groups: list[str] = Field(default_factory=list, max_length=16)
    heartbeat_s: int = Field(default=60, ge=10, le=3600)
    config_poll_s: int = Field(default=1800, ge=60, le=86400)

    @field_validator("pinned_keys")
    @classmethod
    def _are_public_keys(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                raw = base64.b64decode(text.strip(), validate=True)
            except binascii.Error:
                raw = b""
            if len(raw) != 32:
                raise ValueError(f"{text!r} is not a base64 Ed25519 public key (32 bytes)")
        return value

    @field_validator("groups")
    @classmethod
    def _are_group_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", name):
                raise ValueError(f"{name!r} is not a group name (1-32 letters, digits, '.', '_', '-')")
        return value


class KioskConfig(_Section):
    """The whole configuration. Sections mirror the TOML tables."""

    kiosk: KioskSection = KioskSection()
    api: ApiSection = ApiSection()
    devices: DevicesSection = DevicesSection()
    session: SessionSection = SessionSection()
    storage: StorageSection = StorageSection()
    outbox: OutboxSection = OutboxSection()
    ui: UiSection = UiSection()
    logging: LoggingSection = LoggingSection()
    fleet: FleetSection = FleetSection()

    @property
    def state_dir(self) -> Path:
        """Where the outbox, keys, snapshots and logs live (not created here; see ``ensure_state_dir``)."""
        if self.storage.state_dir:
            return Path(self.storage.state_dir).expanduser()
        return default_state_dir()

    @property
    def credential_path(self) -> Path:
        return Path(self.api.credential_path) if self.api.credential_path else self.state_dir / "credential"

    @property
    def device_key_path(self) -> Path:
        """The device key file; ``systemd-creds:NAME`` resolves inside ``$CREDENTIALS_DIRECTORY``."""
        value = self.outbox.device_key
        if value.startswith("systemd-creds:"):
            directory = os.environ.get("CREDENTIALS_DIRECTORY", "")
            if not directory:
                raise ConfigError(
                    "[outbox] device_key: systemd credential requested but $CREDENTIALS_DIRECTORY is not set"
                )
            return Path(directory) / value.removeprefix("systemd-creds:")
        return Path(value) if value else self.state_dir / "device.key"

    @property
    def log_file(self) -> Path:
        return Path(self.logging.file) if self.logging.file else self.state_dir / "logs" / "kiosk.log"

    def ensure_state_dir(self) -> Path:
        """Create the state directory with owner-only access and return it."""
        path = self.state_dir
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
        return path

    def with_overrides(self, settings: dict[str, Any], *, source: str = "remote config") -> KioskConfig:
        """A new config with ``settings`` (tables of keys, as in the TOML file) laid over this one."""
        merged = _deep_merge(self.model_dump(), settings)
        return validate_config(merged, source)


def default_state_dir() -> Path:
    """``/var/lib/civic-kiosk`` on an installed kiosk, the user's state dir in development."""
    if INSTALLED_STATE_DIR.is_dir() and os.access(INSTALLED_STATE_DIR, os.W_OK):
        return INSTALLED_STATE_DIR
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def load_config(path: Path | None = None) -> KioskConfig:
    """Load the local TOML file over the compiled-in defaults; no file given means defaults only."""
    if path is None:
        return KioskConfig()
    return validate_config(read_config_file(path), str(path))


def validate_config(data: dict[str, Any], source: str) -> KioskConfig:
    """The typed config of a table read from ``source``; ``ConfigError`` naming the first problem."""
    try:
        return KioskConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{source}: {_describe(first)}") from None


def _describe(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    if len(loc) >= 2:
        where = f"[{loc[0]}] {'.'.join(loc[1:])}"
    elif loc:
        where = f"[{loc[0]}]" if error["type"] != "extra_forbidden" else f"'{loc[0]}'"
    else:
        where = "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {where}"
    if kind == "model_type":
        return f"{where}: must be a table"
    message = str(error["msg"]).removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{where}: {message}{shown}"


def _deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
