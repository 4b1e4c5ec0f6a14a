"""The skeleton's slice under load: labourers registered by RPC until dispatch's pool holds them
all. A baseline for the messaging work (nameko's stock event dispatcher, one commit per event)."""

from __future__ import annotations

import tempfile
import time

import eventlet
from nameko import config as nameko_config
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcClient

from benchmarks.common import resident_mib, scratch_vhost
from sanbao_common.config import config_schema
from sanbao_common.migrations import upgrade
from sanbao_common.sample_data import SampleData

LABOURERS = 2_000
CALLERS = 10
COUNTY = "532501"


def register_to_pool():
    from pathlib import Path

    from dispatch.service import DispatchService
    from registry.service import RegistryService

    root = Path(__file__).resolve().parents[2]
    sample = SampleData(2026)
    people = []
    seen = set()
    while len(people) < LABOURERS:
        person = {"name": sample.name(), "id_number": sample.id_number(COUNTY),
                  "village_code": sample.village_code(COUNTY)}  # fmt: skip
        if person["id_number"] not in seen:
            seen.add(person["id_number"])
            people.append(person)

    with tempfile.TemporaryDirectory() as workdir, scratch_vhost() as amqp_uri:
        common = {"COUNTY": COUNTY, "AMQP_URI": amqp_uri, "RPC_TIMEOUT_SECONDS": 30,
                  "LOG_LEVEL": "WARNING", "max_workers": 10}  # fmt: skip
        config = dict(common)
        for port, service in enumerate(("registry", "dispatch"), start=18101):
            url = f"sqlite:///{workdir}/{service}.sqlite"
            upgrade(root / "services" / service, url)
            section = {"DATABASE_URL": url, "HTTP_ADDRESS": f"127.0.0.1:{port}"}
            config[service] = config_schema(service).load({**common, service: section})[service]
        with nameko_config.patch(config):
            runner = ServiceRunner()
            runner.add_service(RegistryService)
            runner.add_service(DispatchService)
            runner.start()
            memory_idle = resident_mib()
            try:
                started = time.perf_counter()
                chunks = [people[i::CALLERS] for i in range(CALLERS)]

                def call(chunk):
                    with ClusterRpcClient(timeout=30) as client:
                        for person in chunk:
                            client.registry.register_labourer(person)

                pool = eventlet.GreenPool(CALLERS)
                list(pool.imap(call, chunks))
                registered = time.perf_counter() - started
                with ClusterRpcClient(timeout=30) as client:
                    while client.dispatch.count_candidates()["candidates"] < LABOURERS:
                        eventlet.sleep(0.05)
                elapsed = time.perf_counter() - started
            finally:
                runner.stop()
    figures = {"slice.register_to_pool_per_s": round(LABOURERS / elapsed, 1)}
    details = {
        "labourers": LABOURERS,
        "concurrent_callers": CALLERS,
        "backend": "sqlite",
        "rpc_phase_seconds": round(registered, 2),
        "until_pool_complete_seconds": round(elapsed, 2),
        "process_resident_mib_idle": memory_idle,
        "process_resident_mib_end": resident_mib(),
        "note": "registry and dispatch in one process, nameko's stock EventDispatcher",
    }
    return figures, details
