"""The unit of work on both backends: explicit commit, rollback otherwise, writers that wait
for each other without stalling the process."""

import eventlet
import eventlet.event
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from sanbao_common.db import DatabaseHandle, create_database_engine

metadata = MetaData()
counter = Table("counter", metadata, Column("id", Integer, primary_key=True), Column("n", Integer))


@pytest.fixture
def handle(databases):
    import threading

    engine = create_database_engine(databases["notify"], pool_size=10)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(counter).values(id=1, n=0))
    yield DatabaseHandle(engine, threading.Lock())
    engine.dispose()


def read(handle):
    with handle.reader() as uow:
        return uow.connection.execute(select(counter.c.n)).scalar_one()


def test_nothing_is_kept_without_commit(handle):
    with handle.unit_of_work() as uow:
        uow.connection.execute(counter.update().values(n=5))
    assert read(handle) == 0


def test_an_exception_rolls_back(handle):
    with pytest.raises(RuntimeError), handle.unit_of_work() as uow:
        uow.connection.execute(counter.update().values(n=5))
        raise RuntimeError("boom")
    assert read(handle) == 0


def test_commit_keeps_the_change(handle):
    with handle.unit_of_work() as uow:
        uow.connection.execute(counter.update().values(n=5))
        uow.commit()
    assert read(handle) == 5


def test_a_reader_cannot_commit(handle):
    with pytest.raises(RuntimeError), handle.reader() as uow:
        uow.commit()


def test_concurrent_read_modify_write_loses_no_increment(handle, db_backend):
    """Twenty greenthreads each add one, 10 times: the sum shows whether any update was lost."""

    def add_ten():
        for _ in range(10):
            with handle.unit_of_work() as uow:
                query = select(counter.c.n).where(counter.c.id == 1)
                if db_backend == "postgresql":
                    query = query.with_for_update()
                n = uow.connection.execute(query).scalar_one()
                eventlet.sleep(0)  # give every other greenthread the chance to interleave
                uow.connection.execute(counter.update().values(n=n + 1))
                uow.commit()

    pool = eventlet.GreenPool(20)
    for _ in range(20):
        pool.spawn(add_ten)
    pool.waitall()
    assert read(handle) == 200


@pytest.mark.postgresql_only
def test_postgresql_queries_let_other_greenthreads_run(handle):
    """While a query waits on the server, the rest of the service keeps working."""
    ticks = []
    querying = eventlet.event.Event()

    def tick():
        querying.wait()
        while len(ticks) < 1000:
            ticks.append(1)
            eventlet.sleep(0.01)

    def sleep_on_the_server():
        with handle.reader() as uow:
            querying.send()
            uow.connection.execute(text("SELECT pg_sleep(0.5)"))
        return len(ticks)

    ticker = eventlet.spawn(tick)
    ticks_during_query = eventlet.spawn(sleep_on_the_server).wait()
    ticker.kill()
    # A driver that blocks the hub lets the ticker run at most once during the query.
    assert ticks_during_query > 5
