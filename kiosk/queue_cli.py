"""Technician commands for the outbox: `kiosk queue status [--json]`, `retry-dead`, `export-dead --out FILE`.

Contract:
- No personal data in any output: counts, ages, times, application ids, HTTP statuses only.
- `status` shows counts by state, the age of the oldest pending application, the last successful
  sync and any queue-wide problem (e.g. a credential or clock error); `--json` for machines.
- `retry-dead` puts every dead-lettered application back in the queue for an immediate attempt.
- `export-dead --out FILE` writes the dead letters still sealed (openable only with this kiosk's
  device key), mode 0600.
- Safe next to the running kiosk: it opens the outbox without repair or in-flight recovery and
  never reads sealed data, so it needs no device key.
- `register(subparsers)` adds the `queue` command to the `kiosk` CLI; `run(args, config)` runs it
  and returns the exit status (0 ok, 1 failure). `python -m kiosk.queue_cli --config FILE status`
  runs it standalone.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, KioskConfig, default_config_path, load_config
from offline_cache.atomic import write_file_atomically
from offline_cache.outbox import Outbox, OutboxStatus, State
from offline_cache.sealing import Sealer

OUTBOX_FILE = "outbox.db"


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add `queue` with its sub-commands to an argparse sub-parser collection."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "queue", help="inspect and repair the offline outbox (no personal data is shown)"
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="queue_command", required=True, metavar="COMMAND")
    status = commands.add_parser("status", help="counts by state, oldest pending age, last sync")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    commands.add_parser("retry-dead", help="requeue every dead-lettered application")
    export = commands.add_parser("export-dead", help="write dead letters, still sealed, to a file")
    export.add_argument("--out", required=True, type=Path, help="file to write (JSON lines, mode 0600)")


def run(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run the parsed `queue` command against the configured outbox; returns the exit status."""
    path = config.state_dir / OUTBOX_FILE
    command = args.queue_command
    if not path.exists():
        # Nothing saved on this kiosk yet: report an empty queue rather than create a database.
        if command == "status":
            _print_status(_empty_status(), args.json, path_exists=False)
        elif command == "retry-dead":
            print("requeued 0 dead-lettered application(s) (no outbox database yet)")
        else:
            try:
                write_file_atomically(args.out, b"")
            except OSError as exc:
                print(f"queue export-dead failed ({exc.strerror})", file=sys.stderr)
                return 1
            print(f"exported 0 dead-lettered application(s) to {args.out} (no outbox database yet)")
        return 0
    try:
        outbox = _open(path)
    except sqlite3.DatabaseError as exc:
        print(
            f"outbox database cannot be opened ({type(exc).__name__}); see the kiosk's alerts",
            file=sys.stderr,
        )
        return 1
    try:
        if command == "status":
            status = outbox.status()
            dead = [_dead_row(row) for row in outbox.rows(State.DEAD)]
            _print_status(status, args.json, path_exists=True, dead=dead)
        elif command == "retry-dead":
            print(f"requeued {outbox.retry_dead()} dead-lettered application(s)")
        elif command == "export-dead":
            count = outbox.export_dead(args.out)
            print(f"exported {count} dead-lettered application(s), still sealed, to {args.out}")
        else:  # argparse prevents this; kept so a new sub-command cannot fall through silently
            print(f"unknown queue command {command!r}", file=sys.stderr)
            return 1
    except (sqlite3.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        print(f"queue {command} failed ({reason})", file=sys.stderr)
        return 1
    finally:
        outbox.close()
    return 0


def _open(path: Path) -> Outbox:
    # These commands never open sealed data, so a throwaway key stands in for the device key: a
    # technician can inspect a kiosk whose device key is unavailable.
    sealer = Sealer(os.urandom(32), rotation_seconds=86400.0)
    return Outbox(path, sealer, startup_checks=False)


def _empty_status() -> OutboxStatus:
    return OutboxStatus(
        counts={state.value: 0 for state in State},
        oldest_pending_age_s=None,
        last_success_at=None,
        last_attempt_at=None,
        last_problem=None,
    )


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _dead_row(row: Any) -> dict[str, Any]:
    return {
        "application_id": row.application_id,
        "created_at": _iso(row.created_at),
        "attempts": row.attempts,
        "last_status": row.last_status,
        "last_error": row.last_error,
    }


def _print_status(
    status: OutboxStatus, as_json: bool, *, path_exists: bool, dead: list[dict[str, Any]] | None = None
) -> None:
    data = {
        "counts": status.counts,
        "pending": status.counts["ready"] + status.counts["in_flight"],
        "oldest_pending_age_s": None
        if status.oldest_pending_age_s is None
        else round(status.oldest_pending_age_s, 1),
        "last_success_at": _iso(status.last_success_at),
        "last_attempt_at": _iso(status.last_attempt_at),
        "problem": status.last_problem,
        "database": "present" if path_exists else "not created yet",
        "dead_letters": dead or [],
        "reported_at": _iso(time.time()),
    }
    if as_json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return
    counts = status.counts
    print(
        f"ready {counts['ready']}  in flight {counts['in_flight']}  "
        f"done {counts['done']}  dead {counts['dead']}"
    )
    age = status.oldest_pending_age_s
    print(f"oldest pending: {'none' if age is None else _human_age(age)}")
    print(f"last successful sync: {data['last_success_at'] or 'never'}")
    if status.last_problem:
        print(f"problem: {status.last_problem}")
    for row in dead or []:
        print(
            f"dead: {row['application_id']}  status {row['last_status']}  attempts {row['attempts']}  "
            f"since {row['created_at']}"
        )


def _human_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry: `python -m kiosk.queue_cli [--config FILE] COMMAND ...`."""
    parser = argparse.ArgumentParser(
        prog="kiosk queue", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="kiosk.toml (default: $KIOSK_CONFIG or the installed file)"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config or default_config_path())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 1
    return run(args, config)


if __name__ == "__main__":
    raise SystemExit(main())
