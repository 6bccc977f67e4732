"""Databases for tests: a PostgreSQL database per test, and faults injected at the database
itself (a trigger that refuses writes), so the store's error paths run as they would on a
full disk or a lost connection, without patching partner-nhi."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """PARTNER_NHI_TEST_POSTGRES_URL, else a server on 127.0.0.1:5432, else an embedded one (pgserver)."""
    configured = os.environ.get("PARTNER_NHI_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    local = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
        yield local
        return
    except OSError:
        pass
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Make fresh databases on that server (each dropped after the test)."""
    admin = create_engine(make_url(postgres_server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"partner_nhi_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(postgres_server).set(drivername="postgresql+psycopg", database=name).render_as_string(False)

    try:
        yield make
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """A fresh database on that server for one test."""
    return new_postgres_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """The store's URL on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("postgres_url"))


def _trigger_sql(dialect: str, table: str, message: str) -> tuple[list[str], list[str]]:
    """The statements that install and remove a trigger refusing INSERTs into ``table``."""
    if dialect == "sqlite":
        body = f"SELECT RAISE(ABORT, '{message}')"
        return [f"CREATE TRIGGER refuse_writes BEFORE INSERT ON {table} BEGIN {body}; END"], [
            "DROP TRIGGER refuse_writes"
        ]
    function = f"CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$"
    return (
        [
            f"{function} LANGUAGE plpgsql",
            f"CREATE TRIGGER refuse_writes BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_writes()",
        ],
        [f"DROP TRIGGER refuse_writes ON {table}", "DROP FUNCTION refuse_writes()"],
    )


@contextmanager
def refusing_writes(url: str, table: str, message: str = "disk full") -> Iterator[None]:
    """While inside, every INSERT into ``table`` fails in the database, as a full disk would."""
    engine = create_engine(url)
    install, remove = _trigger_sql(engine.dialect.name, table, message)
    with engine.begin() as connection:
        for statement in install:
            connection.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in remove:
                connection.execute(text(statement))
        engine.dispose()


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one read, straight from the database (what the store wrote, not what it says)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


def run_rows(url: str) -> list[tuple[str, str, str | None]]:
    """(id, status, error) of every stored run, oldest first."""
    return [(row[0], row[1], row[2]) for row in query(url, "SELECT id, status, error FROM runs ORDER BY started")]
