"""``kiosk-admin``: the administrator's tool for steering the fleet with signed configuration.

    kiosk-admin keygen --out admin.key            new Ed25519 signing key (0600); prints the public key
    kiosk-admin sign SETTINGS.toml --key admin.key --version N [--scope fleet|group:G|kiosk:ID]
                     [--expires-days D] [--min-app-version V] [--pin PIN ...] --out doc.json
    kiosk-admin verify doc.json --public-key KEY [--kiosk-id ID]   check a document as a kiosk would
    kiosk-admin show doc.json                     print the signed part (no verification)
    kiosk-admin publish doc.json --central URL --admin-token TOKEN   hand a signed document to the service

Signing happens here, offline, with the administrator's key: the central service only stores and
distributes documents, so a compromised server cannot change a kiosk's settings. The service accepts
documents signed by keys registered with ``kiosk-central add-config-key``; kiosks pin the same public
keys in ``[fleet] pinned_keys``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from kiosk.clock import SystemClock
from kiosk.config import ConfigError, KioskConfig
from kiosk.maintenance import PinFormatError, hash_pin
from kiosk.remote_config import (
    DOCUMENT_TYPE,
    RemoteConfigRejected,
    RemoteConfigStore,
    key_id,
    load_public_key,
    sign_document,
)


class AdminError(Exception):
    """A problem the administrator can fix; printed as one line."""


def _hash_pin(pin: str) -> str:
    try:
        return hash_pin(pin)
    except PinFormatError as exc:
        raise AdminError(str(exc)) from None


def _scope(text: str) -> dict[str, Any]:
    if text == "fleet":
        return {"fleet": True}
    kind, _, value = text.partition(":")
    if kind in ("group", "kiosk") and value:
        return {kind: value}
    raise AdminError(f"scope must be fleet, group:NAME or kiosk:ID (got {text!r})")


def _load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AdminError(f"cannot read signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AdminError(f"{path} is not an Ed25519 key")
    return key


def cmd_keygen(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists():
        raise AdminError(f"{out} exists; refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    print(json.dumps({"keyid": key_id(key.public_key()), "public_key": base64.b64encode(public).decode()}))
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    try:
        settings = tomllib.loads(Path(args.settings).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AdminError(f"cannot read settings {args.settings}: {exc}") from None
    try:
        KioskConfig().with_overrides(settings, source=str(args.settings))
    except ConfigError as exc:
        raise AdminError(str(exc)) from None
    now = datetime.now(UTC).replace(microsecond=0)
    signed = {
        "type": DOCUMENT_TYPE,
        "schema_version": 1,
        "config_id": args.config_id or f"cfg-{args.version}",
        "version": args.version,
        "issued_at": now.isoformat(),
        "expires": (now + timedelta(days=args.expires_days)).isoformat(),
        "scope": _scope(args.scope),
        "min_app_version": args.min_app_version,
        "activation": {"at_idle": True, "not_before": None},
        "settings": settings,
        "maintenance": {"pin_hashes": [_hash_pin(p) for p in args.pin]},
    }
    document = sign_document(signed, _load_private_key(args.key))
    if args.out:
        Path(args.out).write_bytes(document)
    else:
        sys.stdout.write(document.decode() + "\n")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    import tempfile

    public = load_public_key(args.public_key)
    raw = Path(args.document).read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        store = RemoteConfigStore(
            Path(scratch),
            pinned_keys={key_id(public): public},
            kiosk_id=args.kiosk_id,
            groups=frozenset(args.group),
            app_version=args.app_version,
            base_config=KioskConfig(),
            clock=SystemClock(),
        )
        verified = store.verify(raw)
    print(
        f"ok: version {verified.version}, config {verified.config_id}, expires {verified.expires.isoformat()}"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    try:
        envelope = json.loads(Path(args.document).read_bytes())
        signed = json.loads(base64.b64decode(envelope["payload"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AdminError(f"not a signed config document: {exc}") from None
    print(json.dumps(signed, ensure_ascii=False, indent=2))
    return 0


PUBLISH_TIMEOUT_S = 30.0


def cmd_publish(args: argparse.Namespace) -> int:
    """PUT the document's exact bytes to the central service; 1 when the service refuses it."""
    import requests

    raw = Path(args.document).read_bytes()
    url = args.central.rstrip("/") + "/v1/admin/config"
    try:
        response = requests.put(
            url,
            data=raw,
            headers={"Authorization": f"Bearer {args.admin_token}", "Content-Type": "application/json"},
            timeout=PUBLISH_TIMEOUT_S,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise AdminError(
            f"cannot reach the central service at {args.central}: {type(exc).__name__}"
        ) from None
    if response.status_code == 200:
        try:
            stored = response.json()
            scope = json.dumps(stored["scope"])
            print(f"published: version {stored['version']}, config {stored['config_id']}, scope {scope}")
        except (ValueError, KeyError, TypeError):
            print("published")
        return 0
    try:
        problem = response.json()
        reason = f"{problem.get('title', '')}: {problem.get('detail', '')}".strip(": ")
        slug = str(problem.get("type", "")).rsplit(":", 1)[-1]
    except (ValueError, AttributeError):
        reason, slug = response.reason or "", ""
    # The detail may be a list (request validation); keep the message on one line.
    reason = " ".join(str(reason).split())[:300]
    label = f"{response.status_code} {slug}".strip()
    print(f"kiosk-admin: refused ({label}): {reason}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-admin",
        description="Sign and check remote configuration for the kiosk fleet.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("keygen", help="create an Ed25519 signing key")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=cmd_keygen)
    p = sub.add_parser("sign", help="sign a settings file as a config document")
    p.add_argument("settings", type=Path, help="TOML with the tables and keys of kiosk.toml to set")
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--version", type=int, required=True, help="monotonic; must exceed the last one")
    p.add_argument("--scope", default="fleet")
    p.add_argument("--config-id", default="")
    p.add_argument("--expires-days", type=int, default=90)
    p.add_argument("--min-app-version", default="0.1.0")
    p.add_argument("--pin", action="append", default=[], help="a maintenance PIN to allow (stored hashed)")
    p.add_argument("--out", type=Path)
    p.set_defaults(run=cmd_sign)
    p = sub.add_parser("verify", help="check a document as a kiosk would")
    p.add_argument("document", type=Path)
    p.add_argument("--public-key", required=True, help="base64 public key printed by keygen")
    p.add_argument("--kiosk-id", default="demo-kiosk-01")
    p.add_argument("--group", action="append", default=[])
    p.add_argument("--app-version", default="0.1.0")
    p.set_defaults(run=cmd_verify)
    p = sub.add_parser("show", help="print a document's signed part")
    p.add_argument("document", type=Path)
    p.set_defaults(run=cmd_show)
    p = sub.add_parser("publish", help="hand a signed document to the central service for the fleet")
    p.add_argument("document", type=Path)
    p.add_argument("--central", required=True, help="the central service's base URL")
    token = os.environ.get("KIOSK_ADMIN_TOKEN")
    p.add_argument(
        "--admin-token",
        default=token,
        required=token is None,
        help="an administrator token (kiosk-central create-admin-token); default $KIOSK_ADMIN_TOKEN",
    )
    p.set_defaults(run=cmd_publish)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except (AdminError, ConfigError) as exc:
        print(f"kiosk-admin: {exc}", file=sys.stderr)
        return 2
    except RemoteConfigRejected as exc:
        print(f"kiosk-admin: rejected: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"kiosk-admin: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
