"""A throwaway PostgreSQL server for the tests: one cluster per session, a fresh database per test.

The cluster is made with the server programs of the machine (``initdb``/``pg_ctl`` on
``PATH`` or under ``/usr/lib/postgresql/*/bin``, as Debian's ``postgresql`` package
installs them) in a temporary folder, listens only on a unix socket there, and is
stopped and deleted when the session ends. As root it runs as the ``postgres`` user
(PostgreSQL refuses to run as root).

Environment:

``HEADRACE_TEST_POSTGRES``
    ``auto`` (default): test on PostgreSQL when its programs are found, else skip those
    cases; ``required``: fail instead of skipping (CI sets this); ``off``: skip them.
``HEADRACE_TEST_POSTGRES_URL``
    Use this server instead of starting one (a role that may ``CREATE DATABASE``), e.g.
    ``postgresql+psycopg://me:secret@localhost/postgres``.

A watchdog process stops and deletes the cluster should the test process die without
cleaning up (``kill -9``, a crash), so no server outlives its session.
"""

from __future__ import annotations

import itertools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, make_url, text

__all__ = ["BACKENDS", "PostgresServer", "database_url", "postgres_server"]

#: The metadata databases the store's tests run on (pytest ids).
BACKENDS = ("sqlite", "postgresql")

MODE_VARIABLE = "HEADRACE_TEST_POSTGRES"
URL_VARIABLE = "HEADRACE_TEST_POSTGRES_URL"
_MODES = ("auto", "required", "off")
_USER = "headrace"


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on ``PATH``, else Debian's newest, else ``None``."""
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return candidates[-1].parent if candidates else None


class PostgresServer:
    """A PostgreSQL server the tests may create and drop databases on.

    Parameters
    ----------
    admin_url : str
        SQLAlchemy URL of a database on the server, as a role that may create databases.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self._numbers = itertools.count(1)

    def create_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        name = f"headrace_test_{os.getpid()}_{next(self._numbers)}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database`, closing what still uses it."""
        name = make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database for the duration of the block."""
        url = self.create_database()
        try:
            yield url
        finally:
            self.drop_database(url)

    def close(self) -> None:
        """Release the admin connections."""
        self._admin.dispose()


class LocalCluster:
    """A PostgreSQL cluster in a temporary folder, reachable only through a unix socket there."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="headrace-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_postgres = os.geteuid() == 0
        self._watchdog: subprocess.Popen[bytes] | None = None

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bindir / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _run(self, program: str, *args: str) -> None:
        command = self._command(program, *args)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited with {result.returncode}:\n{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> str:
        """Make and start the cluster; return the admin URL."""
        if self._as_postgres:
            shutil.chown(self.folder, user="postgres", group="postgres")
        self._watch(os.getpid())
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            _USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        # Durability is not under test: without fsync the suite runs several times faster.
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.folder}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c timezone=UTC"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        return f"postgresql+psycopg://{_USER}@/postgres?host={self.folder}"

    def _watch(self, pid: int) -> None:
        # Its own session: it outlives a killed test process (and that one's process group).
        stop = shlex.join(self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"))
        script = (
            f"while kill -0 {pid} 2>/dev/null; do sleep 1; done; "
            f"{stop} >/dev/null 2>&1; rm -rf {shlex.quote(str(self.folder))}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Stop the server (at once: its data is thrown away) and delete the folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self._watchdog is not None:
                self._watchdog.kill()
                self._watchdog.wait()


def _mode() -> str:
    mode = os.environ.get(MODE_VARIABLE, "auto") or "auto"
    if mode not in _MODES:
        raise pytest.UsageError(f"{MODE_VARIABLE} must be one of {', '.join(_MODES)}, got {mode!r}")
    return mode


def _unavailable(reason: str) -> NoReturn:
    if _mode() == "required":
        pytest.fail(f"{MODE_VARIABLE}=required but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (started on first use, stopped at the end)."""
    if _mode() == "off":
        pytest.skip(f"PostgreSQL tests are off ({MODE_VARIABLE}=off)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[dev]')")
    external = os.environ.get(URL_VARIABLE)
    cluster: LocalCluster | None = None
    if external:
        admin_url = external
    else:
        bindir = find_bindir()
        if bindir is None:
            _unavailable("no PostgreSQL server programs (initdb, pg_ctl) found; apt-get install postgresql")
        cluster = LocalCluster(bindir)
        try:
            admin_url = cluster.start()
        except BaseException:
            cluster.stop()
            raise
    server = PostgresServer(admin_url)
    try:
        yield server
    finally:
        server.close()
        if cluster is not None:
            cluster.stop()


@contextmanager
def database_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> Iterator[str]:
    """A fresh metadata database on ``backend``: a SQLite file in ``folder``, or a new PostgreSQL one."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'headrace.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with server.database() as url:
        yield url
