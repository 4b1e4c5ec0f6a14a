"""Each service's own database: engines for SQLite and PostgreSQL, and the unit of work.

A unit of work is one transaction: nothing is committed unless the handler says so, and leaving
the block any other way rolls back. SQLite write transactions start with BEGIN IMMEDIATE (so two
writers never deadlock upgrading a read lock) and are serialised inside the process by a lock that
yields to eventlet: sqlite3 blocks the eventlet hub while it waits, so without that lock one
greenthread waiting for the file lock would stall the greenthread that holds it.
PostgreSQL goes through psycopg2 with psycogreen's wait callback, so a slow query yields.

Engines hide bound parameters (`hide_parameters=True`, and on PostgreSQL only the first line of
the server's message, which is where it would quote them back): a failing statement's error,
which a service logs, names the statement but never the values it carried (a password hash, a
sealed identifier, a person's name).
"""

from __future__ import annotations

import threading
from pathlib import Path

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

from sanbao_common.config import service_section

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _eventlet_patched() -> bool:
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is always installed with nameko
        return False
    return patcher.is_monkey_patched("socket")


def make_postgres_cooperative() -> None:
    """Let psycopg2 wait through eventlet instead of blocking the hub (idempotent)."""
    import psycogreen.eventlet

    psycogreen.eventlet.patch_psycopg()


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if _eventlet_patched():
        make_postgres_cooperative()
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
    )
    event.listen(engine, "handle_error", _first_line_only)
    return engine


def _first_line_only(context) -> None:
    """psycopg2 binds parameters into the statement's text before PostgreSQL sees it, so the
    server's error can quote them back (`LINE 1: ... WHERE phone = '137…'`, `DETAIL: Key
    (username)=(li.op) already exists`, `Failing row contains (…)`): keep the first line of the
    message, which names what went wrong, in both the driver's error and SQLAlchemy's. The
    error's class, SQLSTATE and `diag` stay as they were, for code that tells errors apart."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (error.args[0].split("\n", 1)[0], *error.args[1:])


def _sqlite_engine(parsed) -> Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transaction control away from the sqlite3 module; `on_begin` issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection):
        readonly = connection.get_execution_options().get("sanbao_readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class UnitOfWork:
    """One transaction. Call `commit()`; anything else, including an exception, rolls back."""

    def __init__(self, engine: Engine, write_lock, readonly: bool = False, outbox_listeners=()):
        self._engine = engine
        self._outbox_listeners = outbox_listeners
        # Set by the outbox when this transaction wrote events: the relay is woken on commit.
        self.outbox_written = False
        self._write_lock = write_lock if (is_sqlite(engine) and not readonly) else None
        self._readonly = readonly
        self.connection: Connection | None = None
        self._transaction = None
        self.committed = False
        self._after_commit: list = []

    def __enter__(self) -> UnitOfWork:
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            connection = self._engine.connect()
            if self._readonly:
                connection = connection.execution_options(sanbao_readonly=True)
            self.connection = connection
            self._transaction = connection.begin()
        except BaseException:
            if self.connection is not None:
                self.connection.close()
            if self._write_lock is not None:
                self._write_lock.release()
            raise
        return self

    def after_commit(self, callback) -> None:
        """Call `callback()` once this transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        if self._readonly:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._transaction.commit()
        self.committed = True
        if self.outbox_written:
            for listener in self._outbox_listeners:
                listener()
        for callback in self._after_commit:
            callback()

    def __exit__(self, *exc_info) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self.connection.close()
            if self._write_lock is not None:
                self._write_lock.release()


class DatabaseHandle:
    """What a worker gets: units of work on the service's engine."""

    def __init__(self, engine: Engine, write_lock, outbox_listeners=()):
        self.engine = engine
        self._write_lock = write_lock
        self._outbox_listeners = outbox_listeners

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self._write_lock, outbox_listeners=self._outbox_listeners)

    def reader(self) -> UnitOfWork:
        """A read-only transaction: consistent reads, never blocks writers on SQLite (WAL)."""
        return UnitOfWork(self.engine, self._write_lock, readonly=True)


class Database(DependencyProvider):
    """The service's own database, from `<service>.DATABASE_URL` in its config."""

    def setup(self):
        section = service_section(nameko_config, self.container.service_name)
        self.url = section["DATABASE_URL"]
        self.engine = create_database_engine(self.url, pool_size=self.container.max_workers)
        # Created after eventlet's monkey patch, so this is a green lock under nameko.
        self.write_lock = threading.Lock()
        # Called after a commit that wrote events (the outbox relay's wake-up).
        self.outbox_listeners: list = []

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def handle(self) -> DatabaseHandle:
        return DatabaseHandle(self.engine, self.write_lock, self.outbox_listeners)

    def get_dependency(self, worker_ctx) -> DatabaseHandle:
        return self.handle()
