"""memory.<service>_idle_mib: resident memory of each service started as an operator starts it
(its own process, migrated SQLite database, topology declared), once healthy and idle."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import resident_mib, scratch_vhost
from benchmarks.stack import ServiceProcess, scratch_databases
from sanbao_common.messaging.admin import apply_topology

SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")


def memory():
    figures, details = {}, {"backend": "sqlite", "settled_seconds": 3}
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_vhost() as amqp_uri,
        scratch_databases("sqlite", SERVICES, Path(workdir)) as urls,
    ):
        apply_topology(amqp_uri)
        processes = [ServiceProcess(s, amqp_uri, urls[s], Path(workdir)) for s in SERVICES]
        try:
            time.sleep(details["settled_seconds"])
            for process in processes:
                figures[f"memory.{process.service}_idle_mib"] = resident_mib(process.pid)
        finally:
            for process in processes:
                process.stop()
    return figures, details
