"""bus.events_per_s: 20,000 events, each from a command that commits one state change and its
event in one transaction (registry's `register_labourer`, in-process, idempotency key included),
relayed with confirms, consumed and applied by dispatch (its own process, batch consumer with
inbox) -- from the first commit to the last effect committed. Next to it, in the same run and on
the same broker, bus.raw_events_per_s: plain py-amqp publishing the same messages with confirms in
windows while a plain consumer acknowledges them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import eventlet
from eventlet.queue import LightQueue
from nameko import config as nameko_config
from nameko.testing.services import worker_factory
from sqlalchemy import create_engine, func, select

from benchmarks.common import resident_mib, scratch_vhost
from benchmarks.stack import ServiceProcess, scratch_databases
from registry.people.domain import Rules
from registry.people.parsing import Parser
from sanbao_common.access import KnownCallerAccess, Principal
from sanbao_common.context import Caller
from sanbao_common.crypto import DataKey
from sanbao_common.db import DatabaseHandle, create_database_engine
from sanbao_common.messaging.admin import apply_topology
from sanbao_common.messaging.outbox import Relay
from sanbao_common.sample_data import SampleData

EVENTS = 20_000
PARSER = Parser(Rules(county="532501", today=date.today()))
# What RegistryService reads of its configuration while registering.
REGISTRY_SETTINGS = {"WORKING_AGE_MIN": 16, "WORKING_AGE_MAX": 64, "STALE_AFTER_DAYS": 180}
PRODUCERS = {"sqlite": 4, "postgresql": 16}
HERE = Path(__file__).resolve().parent


def people(count: int) -> list[dict]:
    sample, seen, result = SampleData(20261128), set(), []
    while len(result) < count:
        id_number = sample.id_number("532501")
        if id_number in seen:
            continue
        seen.add(id_number)
        result.append(
            {
                "name": sample.name(),
                "id_number": id_number,
                "village_code": sample.village_code("532501"),
                "phone": sample.phone(),
            }
        )
    return result


def core_command(db: DatabaseHandle, person: dict, context) -> None:
    """registry's own handler for one person in one transaction: the labourer row and its
    `labourer_registered` event in the outbox, committed together (no RPC argument validation,
    no idempotency key: those are the command layer's cost, measured by the full variant)."""
    from registry.people import registration

    parsed, _ = PARSER.parse(person)
    with db.unit_of_work() as uow:
        registration.apply_people(uow, [(0, parsed)], context, register_only=True)
        uow.commit()


def run_slice(
    backend: str, persons: list[dict], full_command: bool, precommitted: bool = False
) -> dict:
    """Producers, relay and consumer at once, from the first commit to the last effect; with
    `precommitted` the commands all run first and the clock starts when the relay does (the bus
    alone: relay, broker, consumer)."""
    from dispatch.adapters.tables import candidates
    from registry.people import registration
    from registry.service import RegistryService

    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_vhost() as amqp_uri,
        scratch_databases(backend, ("registry", "dispatch"), Path(workdir)) as urls,
        nameko_config.patch({"COUNTY": "532501", "registry": REGISTRY_SETTINGS}),
    ):
        apply_topology(amqp_uri)
        dispatch = ServiceProcess("dispatch", amqp_uri, urls["dispatch"], Path(workdir))
        dispatch_idle = resident_mib(dispatch.pid)
        engine = create_database_engine(urls["registry"], pool_size=PRODUCERS[backend] + 2)
        relay_handle = DatabaseHandle(engine, threading.Lock())
        relay = Relay(relay_handle, "registry", amqp_uri)
        command_db = DatabaseHandle(engine, relay_handle._write_lock, [relay.wake])
        context = SimpleNamespace(caller=lambda: Caller("532501", "bench:producer", "bench"))
        producer = Principal(
            user_id="bench",
            username="bench",
            organisation_id="bench",
            organisation_kind="county_coop",
            roles=("coop_operator",),
            scope="532501",
            county="532501",
            expires_at="2999-01-01T00:00:00+00:00",
            token_id="bench",
        )
        data_key = DataKey.load(Path(workdir) / "data-key")  # made for the dispatch process
        registry = worker_factory(
            RegistryService,
            db=command_db,
            context=context,
            access=KnownCallerAccess(producer),
            data_key=data_key,
        )
        pool_engine = create_engine(urls["dispatch"])
        work: LightQueue = LightQueue()
        for person in persons:
            work.put(person)

        core = registration.Context(caller=context.caller(), key=data_key)

        def produce():
            while not work.empty():
                if full_command:
                    registry.register_labourer(work.get(), uuid.uuid4().hex)
                else:
                    core_command(command_db, work.get(), core)

        producers = eventlet.GreenPool(PRODUCERS[backend])
        if precommitted:
            for _ in range(PRODUCERS[backend]):
                producers.spawn(produce)
            producers.waitall()
        relay_thread = eventlet.spawn(relay.run)
        started = time.perf_counter()
        for _ in range(PRODUCERS[backend]):
            producers.spawn(produce)
        producers.waitall()
        committed = time.perf_counter() - started
        while True:
            with pool_engine.connect() as connection:
                applied = connection.execute(
                    select(func.coalesce(func.sum(candidates.c.events_applied), 0))
                ).scalar_one()
            if applied >= len(persons):
                break
            eventlet.sleep(0.02)
        elapsed = time.perf_counter() - started
        result = {
            "events_per_s": round(len(persons) / elapsed, 1),
            "seconds": round(elapsed, 2),
            "commands_committed_seconds": round(committed, 2),
            "producers": PRODUCERS[backend],
            "dispatch_resident_mib_idle": dispatch_idle,
            "dispatch_resident_mib_end": resident_mib(dispatch.pid),
            "producer_and_relay_process_resident_mib_end": resident_mib(),
            "applied_events_counted": int(applied),
        }
        relay.stop()
        relay_thread.wait()
        dispatch.stop()
        engine.dispose()
        pool_engine.dispose()
        return result


def run_raw(persons: list[dict], queue_type: str) -> dict:
    with tempfile.TemporaryDirectory() as workdir, scratch_vhost() as amqp_uri:
        bodies = Path(workdir) / "bodies.jsonl"
        # Bodies the size of the real envelopes (about 600 bytes).
        bodies.write_text(
            "\n".join(
                json.dumps(
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": "labourer_registered",
                        "payload": person,
                        "pad": "x" * 300,
                    },
                    ensure_ascii=False,
                )
                for person in persons[:1000]
            ),
            encoding="utf-8",
        )
        output = subprocess.run(
            [
                sys.executable,
                str(HERE.parent / "raw_bus.py"),
                amqp_uri,
                queue_type,
                str(len(persons)),
                str(bodies),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        measured = json.loads(output.stdout)
        return {
            "events_per_s": round(measured["count"] / measured["seconds"], 1),
            "publish_only_per_s": round(measured["count"] / measured["publish_seconds"], 1),
        }


def bus():
    persons = people(EVENTS)
    raw = run_raw(persons, "quorum")
    raw_classic = run_raw(persons, "classic")
    sqlite = run_slice("sqlite", persons, full_command=False)
    postgresql = run_slice("postgresql", persons, full_command=False)
    sqlite_full = run_slice("sqlite", persons, full_command=True)
    pipeline = run_slice("sqlite", persons, full_command=False, precommitted=True)
    figures = {
        "bus.events_per_s": sqlite["events_per_s"],
        "bus.events_per_s_pg": postgresql["events_per_s"],
        "bus.raw_events_per_s": raw["events_per_s"],
        "bus.ratio": round(sqlite["events_per_s"] / raw["events_per_s"], 3),
        "bus.ratio_pg": round(postgresql["events_per_s"] / raw["events_per_s"], 3),
        "bus.full_command_events_per_s": sqlite_full["events_per_s"],
        "bus.pipeline_events_per_s": pipeline["events_per_s"],
        "bus.pipeline_ratio": round(pipeline["events_per_s"] / raw["events_per_s"], 3),
    }
    details = {
        "events": EVENTS,
        "sqlite": sqlite,
        "postgresql": postgresql,
        "sqlite_full_command": sqlite_full,
        "sqlite_bus_only_precommitted": pipeline,
        "raw_quorum_queue": raw,
        "raw_classic_queue": raw_classic,
        "note": "raw uses the product's queue type (quorum); the classic-queue figure is for "
        "context. bus.events_per_s: producers run registry's handler in-process (labourer row "
        "and outbox row, one transaction each) while the relay and dispatch run; "
        "full_command adds RPC argument validation and the idempotency key; pipeline: the 20,000 "
        "commands committed first, then relay + broker + consumer timed alone.",
    }
    return figures, details
