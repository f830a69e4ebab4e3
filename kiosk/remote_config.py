"""Signed remote configuration: verify, persist, activate at idle, roll back. Fail closed.

An administrator signs a config document offline with ``kiosk-admin sign``; the central service only
stores and serves it. A kiosk accepts a document only if every check passes, in this order, and keeps
its last good config on any failure:

1. size limit and parse; the key id is in the pinned key set;
2. the Ed25519 signature over the exact signed bytes (never re-serialised before verifying);
3. type and schema version supported;
4. version strictly greater than the persisted trusted version (equal only with identical bytes);
5. not expired (a clock far behind ``issued_at`` is reported as unsynchronised);
6. scope matches this kiosk; the app is new enough;
7. settings valid against the config schema (ranges and enums, not only types), and every other field
   of the signed part of its expected type;
8. written atomically (temp, fsync, rename, fsync dir); only then is the trusted version raised.

A field of the wrong type anywhere in the signed part is refused with the code ``schema`` and a detail
naming the field: whatever the bytes, verifying raises ``RemoteConfigRejected`` and nothing else.

Activation (step 9) is separate: ``activate`` makes the accepted document active only when no
citizen session runs (whatever its ``at_idle`` says), and puts it on probation. ``ConfigProbation``
watches the start that applies it: the first answered heartbeat confirms it; none within the
probation window and ``roll_back`` returns to the previous good document (or the local config) and
records the version, which is then never activated again (a newer one is). The active document is
checked again whenever it is read (it expires, the app or the pinned keys change): one that no
longer passes gives way to the local config, and ``active_rejection`` says why, as it says when a
version was rolled back.

Wire format (JSON, what ``GET /v1/config`` returns verbatim)::

    {"key_id": "<first 16 hex digits of sha256 of the raw public key>", "algorithm": "ed25519",
     "payload": "<base64 of the signed part's exact UTF-8 JSON bytes>", "signature": "<base64>"}

Signed part: ``type`` ("kiosk-config"), ``schema_version`` (1), ``config_id``, ``version`` (int),
``issued_at`` and ``expires`` (ISO 8601, UTC), ``scope`` ({"fleet": true} | {"group": G} |
{"kiosk": ID}), ``min_app_version``, ``activation`` ({"at_idle": true, "not_before": ISO or null}),
``settings`` (tables of the local TOML layout), ``maintenance`` ({"pin_hashes": [...]}).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.clock import Clock
from kiosk.config import ConfigError, KioskConfig
from offline_cache.atomic import write_file_atomically as _atomic_write

MAX_DOCUMENT_BYTES = 256 * 1024
DOCUMENT_TYPE = "kiosk-config"
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})
# A clock this far behind a document's issue time is more likely wrong than the document.
CLOCK_SKEW_ALLOWED = timedelta(minutes=5)
# How long a start on a newly activated document may go without one answered heartbeat before it is
# rolled back: about ten rounds at the default heartbeat interval, so a short network outage does not
# condemn a good document, while a wrong API address is undone within minutes, not at its expiry.
PROBATION_S = 600.0


class RemoteConfigRejected(Exception):
    """A document failed a check; ``code`` is stable for heartbeats and technicians."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class VerifiedConfig:
    """A document that passed every check, with its exact bytes for persisting."""

    raw: bytes
    version: int
    config_id: str
    settings: dict[str, Any]
    config: KioskConfig
    expires: datetime
    at_idle: bool
    not_before: datetime | None
    pin_hashes: tuple[str, ...]


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(text: str) -> Ed25519PublicKey:
    """A pinned key as base64 of the 32 raw bytes (what ``kiosk-admin keygen`` prints)."""
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise ConfigError(f"not an Ed25519 public key: {exc}") from None


def sign_document(signed: dict[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """Serialise ``signed`` once and sign those exact bytes; returns the wire document."""
    payload = json.dumps(signed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "key_id": key_id(private_key.public_key()),
        "algorithm": "ed25519",
        "payload": base64.b64encode(payload).decode(),
        "signature": base64.b64encode(private_key.sign(payload)).decode(),
    }
    return json.dumps(envelope, indent=1).encode()


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise RemoteConfigRejected("schema", f"{field} is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RemoteConfigRejected("schema", f"{field} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise RemoteConfigRejected("schema", f"{field} has no time zone")
    return parsed


def _version_tuple(text: str) -> tuple[int, ...]:
    # ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
    return tuple(int(part) for part in text.split(".") if part.isascii() and part.isdigit())


def _table(signed: dict[str, Any], field: str) -> dict[str, Any]:
    """The object ``signed[field]``; an absent one is empty, anything else (null too) is refused."""
    value = signed.get(field, {})
    if not isinstance(value, dict):
        raise RemoteConfigRejected("schema", f"{field} must be an object")
    return value


class RemoteConfigStore:
    """The kiosk's side: trusted version, last good document, the active one.

    Files in ``directory``: ``trusted.json`` (the newest accepted document), ``active.json`` (what runs),
    ``previous.json`` (the one before, for roll-back), ``trusted_version`` (a monotonic counter),
    ``probation`` (the version activated and not yet seen healthy), ``rolled_back`` (the highest
    version rolled back: it and anything older is never activated again).
    """

    def __init__(
        self,
        directory: Path,
        *,
        pinned_keys: dict[str, Ed25519PublicKey],
        kiosk_id: str,
        groups: frozenset[str] = frozenset(),
        app_version: str,
        base_config: KioskConfig,
        clock: Clock,
    ) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._keys = pinned_keys
        self._kiosk_id = kiosk_id
        self._groups = groups
        self._app_version = app_version
        self._base = base_config
        self._clock = clock

    # -- state ------------------------------------------------------------------------------------
    @property
    def trusted_version(self) -> int:
        try:
            return int((self._dir / "trusted_version").read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _read(self, name: str) -> bytes | None:
        try:
            return (self._dir / name).read_bytes()
        except FileNotFoundError:
            return None

    def _read_int(self, name: str) -> int:
        """A counter file's value; 0 when it is missing or unreadable."""
        try:
            return int((self._dir / name).read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    @property
    def rolled_back_version(self) -> int:
        """The highest version rolled back after an unhealthy start (0: none). It never activates again."""
        return self._read_int("rolled_back")

    @property
    def probation_version(self) -> int | None:
        """The active document's version while it is on probation (activated, not yet seen healthy)."""
        marked = self._read_int("probation")
        return marked if marked and marked == self.active_version else None

    @property
    def app_version(self) -> str:
        """The app version documents are checked against (``min_app_version``)."""
        return self._app_version

    def _active(self) -> tuple[VerifiedConfig | None, RemoteConfigRejected | None]:
        """The active document if it still passes checks 1–7, else why not; (None, None) if none."""
        raw = self._read("active.json")
        if raw is None:
            return None, None
        try:
            return self.verify(raw, stored=True), None
        except RemoteConfigRejected as rejected:
            return None, rejected

    @property
    def active_version(self) -> int:
        """The version of the active document while it still applies; 0 when the local config runs.

        A document that no longer passes (it expired, say) counts as not applied, as in
        ``effective_config``; this never raises ``RemoteConfigRejected``: heartbeats read it, and
        they must go on so that a replacement can be fetched. ``active_rejection`` says why.
        """
        verified, _ = self._active()
        return verified.version if verified else 0

    @property
    def active_rejection(self) -> RemoteConfigRejected | None:
        """Why the newest signed config is not the one in force, or None.

        Code ``rolled_back`` while a version above the active one was rolled back after an unhealthy
        start (until a newer document is activated); otherwise why the active document no longer
        applies (``expired``, ...). None when the active one applies or when none is active and none
        was rolled back. Heartbeats carry it (as ``active_<code>``) to the fleet view. The detail
        names the failed check or the version and never holds personal data.
        """
        verified, lapsed = self._active()
        rolled_back = self.rolled_back_version
        if rolled_back > (verified.version if verified else 0):
            return RemoteConfigRejected(
                "rolled_back", f"version {rolled_back} rolled back: no answer from the central service"
            )
        return lapsed

    # -- checks -----------------------------------------------------------------------------------
    def verify(self, raw: bytes, *, stored: bool = False) -> VerifiedConfig:
        """Run checks 1–7 on ``raw``; raises ``RemoteConfigRejected`` naming the first that fails, and
        no other exception whatever ``raw`` holds.

        ``stored`` re-checks a document this store accepted before (the active, pending or previous
        one): the monotonic version check is skipped, every other check still runs.
        """
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise RemoteConfigRejected("too_large", f"{len(raw)} bytes > {MAX_DOCUMENT_BYTES}")
        try:
            envelope = json.loads(raw)
            payload = base64.b64decode(envelope["payload"], validate=True)
            signature = base64.b64decode(envelope["signature"], validate=True)
            algorithm, keyid = envelope["algorithm"], envelope["key_id"]
        # RecursionError: deeply nested arrays are valid JSON the parser cannot follow.
        except (ValueError, KeyError, TypeError, RecursionError, binascii.Error):
            raise RemoteConfigRejected("malformed", "not a signed config envelope") from None
        key = self._keys.get(str(keyid))
        if algorithm != "ed25519" or key is None:
            raise RemoteConfigRejected("unknown_key", "not signed by a pinned key")
        try:
            key.verify(signature, payload)
        except InvalidSignature:
            raise RemoteConfigRejected("bad_signature", "signature does not match the document") from None
        try:
            signed = json.loads(payload)
        except (ValueError, RecursionError):
            signed = None
        if not isinstance(signed, dict):
            raise RemoteConfigRejected("malformed", "signed part is not a JSON object")
        if signed.get("type") != DOCUMENT_TYPE:
            raise RemoteConfigRejected("wrong_type", f"type {signed.get('type')!r}")
        schema_version = signed.get("schema_version")
        # Checked as an integer first: true would equal 1, and a list or object cannot be looked up.
        if (
            not isinstance(schema_version, int)
            or isinstance(schema_version, bool)
            or schema_version not in SUPPORTED_SCHEMA_VERSIONS
        ):
            raise RemoteConfigRejected("unsupported_schema", f"schema_version {schema_version!r}")
        version = signed.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RemoteConfigRejected("schema", "version must be a positive integer")
        trusted = self.trusted_version
        newer = version > trusted or (version == trusted and raw == self._read("trusted.json"))
        if not stored and not newer:
            raise RemoteConfigRejected("rollback", f"version {version} is not newer than trusted {trusted}")
        issued = _parse_time(signed.get("issued_at"), "issued_at")
        expires = _parse_time(signed.get("expires"), "expires")
        now = self._clock.now()
        if now + CLOCK_SKEW_ALLOWED < issued:
            raise RemoteConfigRejected(
                "clock_unsynchronised", "document issued in the future: check the clock"
            )
        if now >= expires:
            raise RemoteConfigRejected("expired", f"expired at {expires.isoformat()}")
        self._check_scope(signed.get("scope"))
        min_app = signed.get("min_app_version", "0")
        # Bounded so that int() never meets a number too long to convert.
        if not isinstance(min_app, str) or len(min_app) > 32:
            raise RemoteConfigRejected("schema", "min_app_version must be a version of at most 32 characters")
        if _version_tuple(min_app) > _version_tuple(self._app_version):
            raise RemoteConfigRejected("app_too_old", f"needs app {min_app}")
        settings = _table(signed, "settings")
        for name, table in settings.items():
            if not isinstance(table, dict):
                raise RemoteConfigRejected("schema", f"settings.{name} must be a table")
        if "id" in settings.get("kiosk", {}):
            raise RemoteConfigRejected("schema", "settings may not change the kiosk id")
        # Trust comes from the local file only: a document may not change who may sign documents.
        if {"pinned_keys", "groups"} & set(settings.get("fleet", {})):
            raise RemoteConfigRejected("schema", "settings may not change pinned keys or groups")
        try:
            config = self._base.with_overrides(settings)
        except ConfigError as exc:
            raise RemoteConfigRejected("invalid_settings", str(exc)) from None
        config_id = signed.get("config_id", "")
        if not isinstance(config_id, str):
            raise RemoteConfigRejected("schema", "config_id must be a string")
        activation = _table(signed, "activation")
        at_idle = activation.get("at_idle", True)
        if not isinstance(at_idle, bool):
            raise RemoteConfigRejected("schema", "activation.at_idle must be true or false")
        not_before = activation.get("not_before")
        pin_hashes = _table(signed, "maintenance").get("pin_hashes", [])
        if not isinstance(pin_hashes, list) or not all(isinstance(h, str) for h in pin_hashes):
            raise RemoteConfigRejected("schema", "maintenance.pin_hashes must be a list of strings")
        return VerifiedConfig(
            raw=raw,
            version=version,
            config_id=config_id,
            settings=settings,
            config=config,
            expires=expires,
            at_idle=at_idle,
            not_before=None if not_before is None else _parse_time(not_before, "activation.not_before"),
            pin_hashes=tuple(pin_hashes),
        )

    def _check_scope(self, scope: Any) -> None:
        if not isinstance(scope, dict) or len(scope) != 1:
            raise RemoteConfigRejected("schema", "scope must name exactly one of fleet, group, kiosk")
        ((kind, value),) = scope.items()
        if kind == "fleet" and not isinstance(value, bool):
            raise RemoteConfigRejected("schema", "scope.fleet must be true or false")
        # A group that is a list or an object could not even be looked up among this kiosk's groups.
        if kind in ("group", "kiosk") and not isinstance(value, str):
            raise RemoteConfigRejected("schema", f"scope.{kind} must be a string")
        if kind == "fleet" and value is True:
            return
        if kind == "group" and value in self._groups:
            return
        if kind == "kiosk" and value == self._kiosk_id:
            return
        raise RemoteConfigRejected("wrong_scope", "document is not for this kiosk")

    # -- transitions ------------------------------------------------------------------------------
    def accept(self, raw: bytes) -> VerifiedConfig:
        """Verify and persist a fetched document as the trusted one (step 8). Does not activate it."""
        verified = self.verify(raw)
        _atomic_write(self._dir / "trusted.json", raw)
        _atomic_write(self._dir / "trusted_version", str(verified.version).encode())
        return verified

    def pending(self) -> VerifiedConfig | None:
        """The trusted document if it is newer than the active one and may be activated now.

        None for a version that was rolled back: the trusted file still holds it (the counter never
        goes back), and activating it again would undo the roll-back at the next idle moment.
        """
        raw = self._read("trusted.json")
        if raw is None or raw == self._read("active.json"):
            return None
        try:
            verified = self.verify(raw, stored=True)
        except RemoteConfigRejected:
            return None  # expired while waiting: the last good config stays
        if verified.version <= self.rolled_back_version:
            return None
        if verified.not_before and self._clock.now() < verified.not_before:
            return None
        return verified

    def activate(self, *, session_running: bool) -> VerifiedConfig | None:
        """Make the pending document active, only between citizen sessions; returns it, or None.

        Never while a session runs, whatever the document's ``at_idle`` says: activating makes an
        installed kiosk restart, which would cancel the citizen's session (spec step 9). A document
        that is not ``at_idle`` activates at the first moment between sessions, as one that is.
        The document is put on probation until ``confirm_healthy`` (see ``ConfigProbation``).
        """
        verified = self.pending()
        if verified is None or session_running:
            return None
        # The probation mark goes first: a crash before the switch leaves a mark that matches nothing.
        _atomic_write(self._dir / "probation", str(verified.version).encode())
        current = self._read("active.json")
        if current is not None:
            _atomic_write(self._dir / "previous.json", current)
        _atomic_write(self._dir / "active.json", verified.raw)
        return verified

    def confirm_healthy(self) -> None:
        """End the active document's probation: it has been seen working and is the last good one."""
        (self._dir / "probation").unlink(missing_ok=True)

    def roll_back(self) -> KioskConfig:
        """Return to the previous good document (or the local config) after an unhealthy activation.

        The version rolled back is recorded first, so that ``pending`` never activates it again and
        ``active_rejection`` reports it; a newer document is still accepted and activated.
        """
        verified, _ = self._active()
        if verified is not None and verified.version > self.rolled_back_version:
            _atomic_write(self._dir / "rolled_back", str(verified.version).encode())
        previous = self._read("previous.json")
        active = self._dir / "active.json"
        if previous is None:
            active.unlink(missing_ok=True)
        else:
            _atomic_write(active, previous)
            (self._dir / "previous.json").unlink(missing_ok=True)
        self.confirm_healthy()  # the previous document (or the local config) is not on probation
        # The previous document may have expired meanwhile: then the local config runs, as at a start.
        return self.effective_config()

    def effective_config(self) -> KioskConfig:
        """The local config with the active document laid over it; the local one if none is valid."""
        verified, _ = self._active()
        return verified.config if verified else self._base


class ConfigProbation:
    """Spec step 9: "if the kiosk is unhealthy after activation, return to the last good config".

    Built once per start, before any activation of that start. It watches only a start that runs a
    document on probation (activated and not yet seen healthy); a start on a confirmed document or
    on the local config has nothing to watch. Healthy means one heartbeat answered by the central
    service since this start: a document that breaks that (a wrong API address, a wrong CA) cuts the
    kiosk off from the fix, which is why it is undone locally instead of waiting for its expiry.
    """

    def __init__(self, store: RemoteConfigStore, clock: Clock, *, window_s: float = PROBATION_S) -> None:
        self._store = store
        self._clock = clock
        self._window_s = window_s
        self._version = store.probation_version
        self._started = clock.monotonic()

    @property
    def version(self) -> int | None:
        """The version this start is watching, or None when there is nothing (left) to watch."""
        return self._version

    def check(self, *, answered: bool, session_running: bool) -> bool:
        """Decide after a heartbeat round; True when it rolled back (the kiosk must restart to apply).

        ``answered``: the central service acknowledged a heartbeat since this start. Without one,
        once ``window_s`` has passed since the start, the document is rolled back, but never during a
        citizen's session: the restart that applies the roll-back would cancel it.
        """
        if self._version is None:
            return False
        if self._store.probation_version != self._version:
            self._version = None  # another document was activated meanwhile: it gets its own start
            return False
        if answered:
            self._store.confirm_healthy()
            self._version = None
            return False
        if session_running or self._clock.monotonic() - self._started < self._window_s:
            return False
        self._store.roll_back()
        self._version = None
        return True
