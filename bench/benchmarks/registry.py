"""A township roster imported end to end, on SQLite, the way `sanbao roster import` does it.

- registry.import_rows_per_s: a generated 100,000-row CSV roster (2% bad rows of varied kinds)
  sent to a registry process in parts (`upload_roster_part`, then `start_roster_import`) and
  followed with `roster_import_status` until done: read, every row validated, duplicates
  refused, ID numbers and phones sealed, people and households stored and their events committed
  to the outbox, in chunks of 500. Rows of the file per second, from the first part sent to the
  import being done.
- registry.pool_caught_up_s: from the same call until dispatch's candidate pool (its own
  process, fed by registry's relay through RabbitMQ) holds every person registered. Goal:
  within twice the import's time.
- registry.import_xlsx_rows_per_s: the same rows as XLSX, into a fresh database.
- registry.raw_insert_rows_per_s: SQLAlchemy Core executemany of the same rows (text columns)
  into a plain table of the same SQLite database kind, in the same run.
- registry.peak_resident_mib: the registry process's peak memory (VmHWM) over the CSV import.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select

from benchmarks.common import scratch_vhost
from benchmarks.stack import ServiceProcess, bench_token, scratch_databases
from registry_contract.rosters import COLUMNS
from sanbao_cli.commands.rosters import upload_parts
from sanbao_common.messaging.admin import apply_topology
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes

ROWS, BAD_FRACTION = 100_000, 0.02


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def import_through_rpc(amqp_uri: str, token: str, content: bytes, filename: str) -> dict:
    with ClusterRpcClient(uri=amqp_uri, timeout=600, context_data={"token": token}) as client:
        started = time.perf_counter()
        key = uuid.uuid4().hex
        upload_id = f"{key}.upload"
        sha256 = upload_parts(
            lambda method, *args: getattr(client.registry, method)(*args), upload_id, content
        )
        status = client.registry.start_roster_import(
            filename, None, key, upload_id=upload_id, sha256=sha256
        )
        while status["status"] in ("validating", "applying"):
            time.sleep(0.05)
            status = client.registry.roster_import_status(status["import_id"])
        status["seconds"] = time.perf_counter() - started
        status["started"] = started
        return status


def pool_size(url: str) -> int:
    from dispatch.adapters.tables import candidates

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(candidates)).scalar_one()
    finally:
        engine.dispose()


def run_import(content: bytes, filename: str, with_pool: bool) -> dict:
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_vhost() as amqp_uri,
        scratch_databases("sqlite", ("registry", "dispatch"), Path(workdir)) as urls,
    ):
        apply_topology(amqp_uri)
        registry = ServiceProcess("registry", amqp_uri, urls["registry"], Path(workdir))
        dispatch = (
            ServiceProcess("dispatch", amqp_uri, urls["dispatch"], Path(workdir))
            if with_pool
            else None
        )
        try:
            token = bench_token(Path(workdir), "coop_operator", "bench")
            status = import_through_rpc(amqp_uri, token, content, filename)
            result = {
                "seconds": round(status["seconds"], 2),
                "rows_per_s": round(status["total_rows"] / status["seconds"], 1),
                "status": status["status"],
                "total_rows": status["total_rows"],
                "registered": status["registered"],
                "refused_rows": status["refused_rows"],
                "registry_peak_resident_mib": peak_mib(registry.pid),
            }
            if dispatch is not None:
                while pool_size(urls["dispatch"]) < status["registered"]:
                    time.sleep(0.1)
                result["pool_caught_up_s"] = round(time.perf_counter() - status["started"], 2)
            return result
        finally:
            registry.stop()
            if dispatch is not None:
                dispatch.stop()


def raw_insert(rows: list[dict]) -> float:
    """The same rows into a plain table by Core executemany, one transaction."""
    with tempfile.TemporaryDirectory() as workdir:
        from sanbao_common.db import create_database_engine

        engine = create_database_engine(f"sqlite:///{Path(workdir) / 'raw.sqlite'}")
        metadata = MetaData()
        table = Table(
            "roster_rows",
            metadata,
            Column("row_id", Integer, primary_key=True),
            *(Column(column.key, String(200)) for column in COLUMNS),
        )
        metadata.create_all(engine)
        values = [{column.key: row.get(column.key) for column in COLUMNS} for row in rows]
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(table.insert(), values)
        elapsed = time.perf_counter() - started
        engine.dispose()
        return round(len(values) / elapsed, 1)


def registry() -> tuple[dict, dict]:
    rows = generate_roster_rows(ROWS, seed=20261128, bad_fraction=BAD_FRACTION)
    clean_rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    csv_content = roster_bytes(rows, "csv")
    xlsx_content = roster_bytes(rows, "xlsx")
    raw = raw_insert(clean_rows)
    csv_run = run_import(csv_content, "花名册.csv", with_pool=True)
    xlsx_run = run_import(xlsx_content, "花名册.xlsx", with_pool=False)
    figures = {
        "registry.import_rows_per_s": csv_run["rows_per_s"],
        "registry.pool_caught_up_s": csv_run["pool_caught_up_s"],
        "registry.import_xlsx_rows_per_s": xlsx_run["rows_per_s"],
        "registry.raw_insert_rows_per_s": raw,
        "registry.peak_resident_mib": csv_run["registry_peak_resident_mib"],
    }
    details = {
        "rows": ROWS,
        "bad_fraction": BAD_FRACTION,
        "csv_bytes": len(csv_content),
        "xlsx_bytes": len(xlsx_content),
        "csv": csv_run,
        "xlsx": xlsx_run,
        "import_ratio_to_raw_insert": round(csv_run["rows_per_s"] / raw, 3),
        "pool_within_twice_the_import": csv_run["pool_caught_up_s"] <= 2 * csv_run["seconds"],
        "backend": "sqlite",
        "path": "RPC upload_roster_part, start_roster_import, roster_import_status, as `sanbao"
        " roster import`",
    }
    return figures, details
