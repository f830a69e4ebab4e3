"""Start the real central approval service for tests: uvicorn in a subprocess on 127.0.0.1.

    from tests.support.central import running_central

    with running_central() as server:
        client = server.client()
        ...

or use the ``central_server`` pytest fixture (import it into the test module or a conftest).
Each server gets its own temporary SQLite database loaded with the demo data (copied from a
template seeded once per test process), a provisioned kiosk and an administrator token.
``stop()`` and ``start()`` take the service down and bring it back on the same port and database,
for tests of a kiosk that loses its server.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from central.db import Database
from central.fleet import create_admin_token, provision_kiosk, register_config_key
from central.registry_demo import (  # re-exported for tests
    DEMO_PEOPLE,
    EXPIRED_IDENTITY_TOKEN,
    DemoPerson,
    demo_company_code,
    other_company_code,
    person,
)
from central.seed import seed_demo

__all__ = [
    "DEMO_PEOPLE",
    "EXPIRED_IDENTITY_TOKEN",
    "CentralServer",
    "DemoPerson",
    "PostgresCluster",
    "PostgresUnavailable",
    "central_server",
    "demo_company_code",
    "other_company_code",
    "person",
    "running_central",
    "seeded_database",
    "start_central",
    "start_postgres",
]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


@functools.lru_cache(maxsize=1)
def _template_database() -> Path:
    """A seeded SQLite file, built once per test process and copied for each server."""
    directory = Path(tempfile.mkdtemp(prefix="central-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.db"
    db = Database(f"sqlite:///{path}")
    seed_demo(db)
    db.dispose()
    return path


def seeded_database(directory: Path) -> Database:
    """A new SQLite database in ``directory`` holding the demo data (a copy of the template)."""
    path = directory / "central.db"
    shutil.copyfile(_template_database(), path)
    return Database(f"sqlite:///{path}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class CentralServer:
    """A running reference service with one provisioned kiosk."""

    base_url: str
    port: int
    db_url: str
    kiosk_id: str
    secret: bytes
    admin_token: str
    workdir: Path
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)
    # More `serve` options (TLS, the verified kiosk header), and the requests options the readiness
    # probe needs to get through them (verify=CA file, cert=client certificate).
    serve_args: tuple[str, ...] = ()
    probe: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        """Start (or restart) the service on this server's port and database."""
        if self.process is not None and self.process.poll() is None:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "central.cli",
                "serve",
                "--db",
                self.db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                *self.serve_args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"central service exited at start:\n{self.log_path.read_text(errors='replace')}"
                )
            try:
                if (
                    requests.get(self.base_url + "/v1/config/keys", timeout=1, **self.probe).status_code
                    == 200
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("central service did not become ready in time")

    def stop(self) -> None:
        """Stop the service (the database is kept for a later start())."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def client(self, *, kiosk_id: str | None = None, secret: bytes | None = None, **kwargs: Any) -> Any:
        """A kiosk API client for this server (defaults: the provisioned kiosk, generous timeouts)."""
        from kiosk.api_client import ApiClient

        kwargs.setdefault("connect_timeout", 5.0)
        kwargs.setdefault("read_timeout", 30.0)
        return ApiClient(self.base_url, kiosk_id or self.kiosk_id, secret or self.secret, **kwargs)

    def provision(self, kiosk_id: str, *, groups: list[str] | None = None) -> bytes:
        """Provision another kiosk (optionally in ``groups``); returns its secret."""
        db = Database(self.db_url)
        try:
            return provision_kiosk(db, kiosk_id, groups=groups).encode("ascii")
        finally:
            db.dispose()

    def register_config_key(self, public_key_b64: str, label: str = "test admin") -> str:
        """Register an administrator's config public key (as ``kiosk-central add-config-key``)."""
        db = Database(self.db_url)
        try:
            return register_config_key(db, public_key_b64, label)
        finally:
            db.dispose()

    def admin_headers(self) -> dict[str, str]:
        """Headers for the administrator endpoints."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    def cleanup(self) -> None:
        """Stop and delete the database."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_central(
    *,
    kiosk_id: str = "test-kiosk-01",
    db_url: str | None = None,
    workers: int = 1,
    serve_args: tuple[str, ...] = (),
    probe: dict[str, Any] | None = None,
) -> CentralServer:
    """Start a service with demo data; the caller must call ``cleanup()`` (or use running_central).

    ``serve_args`` are more ``kiosk-central serve`` options; with ``--ssl-certfile`` the service
    speaks HTTPS and ``probe`` gives the readiness check what it needs (``verify``, ``cert``).
    """
    scheme = "https" if "--ssl-certfile" in serve_args else "http"
    workdir = Path(tempfile.mkdtemp(prefix="central-"))
    if db_url is None:
        path = workdir / "central.db"
        shutil.copyfile(_template_database(), path)
        db_url = f"sqlite:///{path}"
        db = Database(db_url)
    else:
        db = Database(db_url)
        seed_demo(db)
    try:
        secret = provision_kiosk(db, kiosk_id, "test kiosk").encode("ascii")
        admin_token = create_admin_token(db, "tests")
    finally:
        db.dispose()
    last_error: Exception | None = None
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        server = CentralServer(
            base_url=f"{scheme}://127.0.0.1:{port}",
            port=port,
            db_url=db_url,
            kiosk_id=kiosk_id,
            secret=secret,
            admin_token=admin_token,
            workdir=workdir,
            log_path=workdir / "service.log",
            workers=workers,
            serve_args=serve_args,
            probe=probe or {},
        )
        try:
            server.start()
            return server
        except RuntimeError as error:
            last_error = error
    shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError(f"could not start the central service: {last_error}")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


@dataclass
class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1, in a temporary directory."""

    port: int
    directory: Path
    bin_dir: Path
    as_user: list[str]
    created: int = 0

    def new_database(self) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        import psycopg

        self.created += 1
        name = f"central_{os.getpid()}_{self.created}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server and delete the cluster."""
        subprocess.run(
            [
                *self.as_user,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(*, durable: bool = False) -> PostgresCluster:
    """Start a throwaway cluster (fsync off unless ``durable``); raises PostgresUnavailable."""
    bin_dir = _postgres_bin()
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the "postgres" system user.
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root and there is no 'postgres' user to run the server"
            ) from None
        as_user = ["runuser", "-u", "postgres", "--"]
    directory = Path(tempfile.mkdtemp(prefix="central-pg-"))
    if as_user:
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    try:
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(directory / "data"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {directory} -c max_connections=200" + ("" if durable else " -F")
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(directory / "data"),
                "-o",
                options,
                "-l",
                str(directory / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        shutil.rmtree(directory, ignore_errors=True)
        raise PostgresUnavailable(f"could not start a PostgreSQL cluster: {error}") from error
    return PostgresCluster(port=port, directory=directory, bin_dir=bin_dir, as_user=as_user)


@contextmanager
def running_central(
    *,
    kiosk_id: str = "test-kiosk-01",
    db_url: str | None = None,
    workers: int = 1,
    serve_args: tuple[str, ...] = (),
    probe: dict[str, Any] | None = None,
) -> Iterator[CentralServer]:
    """Context manager around start_central()."""
    server = start_central(
        kiosk_id=kiosk_id, db_url=db_url, workers=workers, serve_args=serve_args, probe=probe
    )
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def central_server() -> Iterator[CentralServer]:
    """A fresh running service per test."""
    with running_central() as server:
        yield server


def applicant(key: str = "retiree") -> dict[str, str]:
    """The ``applicant`` of an application body for the demo person ``key``."""
    citizen = person(key)
    return {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone}


def retirement_withdrawal(amount: str = "100.00") -> dict[str, object]:
    """An instant-approval application body (provident-fund retirement withdrawal) for the demo retiree."""
    return {
        "item_code": "411700-GJJ-0901",
        "applicant": applicant("retiree"),
        "form": {"withdrawal_amount": amount, "bank_card_number": "6222020200112243445"},
    }


def submit_simultaneously(
    server: CentralServer, application_id: str, body: dict[str, object], copies: int = 20
) -> list[tuple[int, bytes]]:
    """``copies`` signed submissions of ``body`` under one key, released together; their answers."""
    from kiosk.api_client import KioskSigner

    barrier = threading.Barrier(copies)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def submit() -> None:
        with requests.Session() as session:
            session.auth = KioskSigner(server.kiosk_id, server.secret)
            barrier.wait(timeout=30)
            response = session.post(
                server.base_url + "/v1/applications",
                json=body,
                headers={"Idempotency-Key": application_id},
                timeout=60,
            )
        with lock:
            answers.append((response.status_code, response.content))

    threads = [threading.Thread(target=submit) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def stored_counts(db_url: str, application_id: str) -> tuple[int, int]:
    """(application rows, notification rows) stored under ``application_id``."""
    from sqlalchemy import func, select

    from central.db import ApplicationRow, NotificationRow

    db = Database(db_url)
    try:
        with db.read() as session:
            rows = session.execute(
                select(func.count(ApplicationRow.id)).where(ApplicationRow.application_id == application_id)
            ).scalar_one()
            notes = session.execute(
                select(func.count(NotificationRow.id)).where(NotificationRow.application_id == application_id)
            ).scalar_one()
    finally:
        db.dispose()
    return int(rows), int(notes)
