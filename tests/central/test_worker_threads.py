"""The service bounds how many threads run its blocking (database) work at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from fastapi import FastAPI

from central.app import DEFAULT_WORKER_THREADS_SQLITE, create_app
from central.db import Database


def threads_while_serving(app: FastAPI) -> float:
    """How many threads may run blocking work at a time once the service has started."""

    async def serve() -> float:
        async with app.router.lifespan_context(app):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    return anyio.run(serve)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'central.db'}")
    database.migrate()
    return database


def test_the_service_runs_at_most_the_configured_threads(db: Database) -> None:
    try:
        assert threads_while_serving(create_app(db, worker_threads=3)) == 3
    finally:
        db.dispose()


def test_sqlite_keeps_many_threads_by_default(db: Database) -> None:
    try:
        assert threads_while_serving(create_app(db)) == DEFAULT_WORKER_THREADS_SQLITE
    finally:
        db.dispose()


def test_zero_threads_are_refused(db: Database, tmp_path: Path) -> None:
    try:
        with pytest.raises(ValueError):
            create_app(db, worker_threads=0)
    finally:
        db.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "central.cli", "serve", "--db", db.url, "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "--threads must be at least 1" in result.stderr
