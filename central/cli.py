"""``kiosk-central``: run the service, load demo data, provision kiosks and administrators.

    kiosk-central serve --db URL --host 127.0.0.1 --port 8700 [--workers N] [--threads N] [--seed-demo]
    kiosk-central migrate --db URL
    kiosk-central seed-demo --db URL
    kiosk-central provision-kiosk KIOSK_ID [--label TEXT] [--group NAME ...] [--credential-file PATH] --db URL
    kiosk-central revoke-kiosk KIOSK_ID --db URL
    kiosk-central create-admin-token [--label TEXT] --db URL
    kiosk-central add-config-key PUBLIC_KEY_B64 [--label TEXT] --db URL
    kiosk-central config-keys --db URL

Configuration is signed offline by administrators (``kiosk-admin keygen`` / ``sign``); the service
holds only their public keys (``add-config-key``) and stores and serves what they publish.

The database URL defaults to $KIOSK_CENTRAL_DB or ``sqlite:///kiosk-central.db``; PostgreSQL
URLs look like ``postgresql+psycopg://user@host/dbname``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from central.db import Database

DEFAULT_DB = "sqlite:///kiosk-central.db"
# How settings reach the worker processes of ``serve --workers N`` (each builds its own app).
VERIFIED_KIOSK_HEADER_ENV = "KIOSK_CENTRAL_VERIFIED_KIOSK_HEADER"


def _database(url: str) -> Database:
    db = Database(url)
    db.migrate()
    return db


def _write_secret(path: Path, secret: str) -> None:
    # The credential file is readable by its owner only, created that way (no window with wider mode).
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiosk-central`` console script."""
    parser = argparse.ArgumentParser(
        prog="kiosk-central", description="Central approval service for civic kiosks"
    )
    parser.add_argument("--db", default=os.environ.get("KIOSK_CENTRAL_DB", DEFAULT_DB), help="database URL")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--db", dest="db_sub", default=None, help="database URL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only)")
    serve.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per process running database work at a time (default: 40 on SQLite, 4 on PostgreSQL)",
    )
    serve.add_argument("--seed-demo", action="store_true", help="load the demo data before serving")
    tls = serve.add_argument_group("TLS (or terminate TLS in a proxy in front of the service)")
    tls.add_argument("--ssl-certfile", default=None, help="the service's certificate chain (PEM)")
    tls.add_argument("--ssl-keyfile", default=None, help="the service's private key (PEM)")
    tls.add_argument(
        "--ssl-client-ca",
        default=None,
        help="require a client certificate issued by these CAs (PEM): only kiosks with one may connect",
    )
    serve.add_argument(
        "--verified-kiosk-header",
        default=os.environ.get(VERIFIED_KIOSK_HEADER_ENV),
        metavar="NAME",
        help="behind a TLS proxy that verifies kiosk certificates: the header in which it passes the "
        "certificate's kiosk id; a signed request from any other kiosk id is refused",
    )
    for name, help_text in (
        ("migrate", "create or upgrade the schema"),
        ("seed-demo", "load demo data"),
        ("config-keys", "print the registered administrator config keys"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--db", dest="db_sub", default=None)
    provision = commands.add_parser("provision-kiosk", help="create a kiosk and print its secret")
    provision.add_argument("kiosk_id")
    provision.add_argument("--label", default="")
    provision.add_argument(
        "--group",
        action="append",
        default=None,
        help="a group the kiosk belongs to (repeatable; replaces its groups); group-scoped config reaches it",
    )
    provision.add_argument(
        "--credential-file",
        type=Path,
        default=None,
        help="write the secret to this file (mode 0600) instead of printing it",
    )
    provision.add_argument("--db", dest="db_sub", default=None)
    revoke = commands.add_parser("revoke-kiosk", help="refuse a kiosk's requests from now on")
    revoke.add_argument("kiosk_id")
    revoke.add_argument("--db", dest="db_sub", default=None)
    admin = commands.add_parser("create-admin-token", help="create an administrator token and print it")
    admin.add_argument("--label", default="admin")
    admin.add_argument("--db", dest="db_sub", default=None)
    add_key = commands.add_parser(
        "add-config-key", help="register an administrator's public key for signed configuration"
    )
    add_key.add_argument("public_key", help="base64 public key printed by kiosk-admin keygen")
    add_key.add_argument("--label", default="")
    add_key.add_argument("--db", dest="db_sub", default=None)
    args = parser.parse_args(argv)
    url = args.db_sub or args.db

    if args.command == "serve":
        if args.threads is not None and args.threads < 1:
            print("error: --threads must be at least 1", file=sys.stderr)
            return 2
        return _serve(url, args)
    db = _database(url)
    try:
        if args.command == "migrate":
            print("schema up to date")
        elif args.command == "seed-demo":
            from central.seed import seed_demo

            print(json.dumps(seed_demo(db), ensure_ascii=False))
        elif args.command == "config-keys":
            from central.fleet import FleetService

            print(json.dumps(FleetService(db).public_keys()))
        elif args.command == "provision-kiosk":
            from central.fleet import provision_kiosk
            from central.signing import KIOSK_ID_PATTERN

            if not KIOSK_ID_PATTERN.match(args.kiosk_id):
                print(
                    "error: a kiosk id is 1-64 characters of letters, digits, '.', '_' or '-'",
                    file=sys.stderr,
                )
                return 2
            try:
                secret = provision_kiosk(db, args.kiosk_id, args.label, args.group)
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            if args.credential_file:
                _write_secret(args.credential_file, secret)
                print(f"kiosk {args.kiosk_id} provisioned; secret written to {args.credential_file}")
            else:
                print(secret)
        elif args.command == "revoke-kiosk":
            from central.fleet import revoke_kiosk

            if not revoke_kiosk(db, args.kiosk_id):
                print(f"error: unknown kiosk {args.kiosk_id}", file=sys.stderr)
                return 1
            print(f"kiosk {args.kiosk_id} revoked")
        elif args.command == "create-admin-token":
            from central.fleet import create_admin_token

            print(create_admin_token(db, args.label))
        elif args.command == "add-config-key":
            from central.fleet import ConfigKeyInvalid, register_config_key

            try:
                key_id = register_config_key(db, args.public_key, args.label)
            except ConfigKeyInvalid as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            print(json.dumps({"key_id": key_id}))
    finally:
        db.dispose()
    return 0


def app_from_environment() -> Any:
    """The app for a uvicorn worker process (``--workers`` > 1): database URL from $KIOSK_CENTRAL_DB,
    threads from $KIOSK_CENTRAL_THREADS and the verified kiosk id header from
    $KIOSK_CENTRAL_VERIFIED_KIOSK_HEADER (when set)."""
    from central.app import create_app

    db = Database(os.environ.get("KIOSK_CENTRAL_DB", DEFAULT_DB), group_commit=True)
    threads = os.environ.get("KIOSK_CENTRAL_THREADS")
    return create_app(
        db,
        worker_threads=int(threads) if threads else None,
        verified_kiosk_header=os.environ.get(VERIFIED_KIOSK_HEADER_ENV) or None,
    )


def _serve(url: str, args: argparse.Namespace) -> int:
    import ssl

    import uvicorn

    from central.app import create_app

    if bool(args.ssl_certfile) != bool(args.ssl_keyfile) or (args.ssl_client_ca and not args.ssl_certfile):
        print(
            "error: --ssl-certfile and --ssl-keyfile go together (and --ssl-client-ca needs them)",
            file=sys.stderr,
        )
        return 2
    db = Database(url, group_commit=True)
    db.migrate()
    if args.seed_demo:
        from central.seed import seed_demo

        seed_demo(db)
    # Access logs are off: paths carry no personal data, but a line per request is noise at fleet scale.
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": False,
        "log_level": "warning",
    }
    if args.ssl_certfile:
        options.update(ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile)
    if args.ssl_client_ca:
        options.update(ssl_ca_certs=args.ssl_client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    if args.workers > 1:
        if db.is_sqlite:
            print("error: several workers need PostgreSQL (SQLite has one writer per file)", file=sys.stderr)
            return 2
        db.dispose()
        os.environ["KIOSK_CENTRAL_DB"] = url
        if args.threads is not None:
            os.environ["KIOSK_CENTRAL_THREADS"] = str(args.threads)
        if args.verified_kiosk_header:
            os.environ[VERIFIED_KIOSK_HEADER_ENV] = args.verified_kiosk_header
        uvicorn.run("central.cli:app_from_environment", factory=True, workers=args.workers, **options)
        return 0
    app = create_app(
        db, worker_threads=args.threads, verified_kiosk_header=args.verified_kiosk_header or None
    )
    try:
        uvicorn.run(app, **options)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
