"""The fault test's load generator, run as a process of its own.

It offers BATCH new labourers every TICK_SECONDS to registry's batch command, each batch
retried with its idempotency key until it gets an answer, until it receives SIGTERM; then it
waits for the batches still in flight and writes what it offered and what came back to the
file named on its command line.

It runs apart from the test so that nothing the test does meanwhile (a blocking SQLite query
into a database a killed service left behind, a management API call, a broker restart)
can hold the offering back; and it asks for a higher CPU priority than the stack it loads
(granted when run as root, as CI is; otherwise it runs at the normal priority).

    python fault_load.py AMQP_URI TOKEN SEED OUT_JSON
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402

from eventlet.queue import LightQueue  # noqa: E402
from nameko.standalone.rpc import ClusterRpcClient  # noqa: E402

from sanbao_common.sample_data import SampleData  # noqa: E402

BATCH = 66
TICK_SECONDS = 0.05  # 66 every 50 ms: 1,320 people offered a second (a third above the floor)
CLIENTS = 24
DRAIN_SECONDS = 180


class Load:
    def __init__(self, uri: str, token: str, sample: SampleData):
        self.uri = uri
        self.token = token
        self.sample = sample
        self.clients: LightQueue = LightQueue()
        for _ in range(CLIENTS):
            self.clients.put(None)  # a slot; connected on first use
        self.offered_per_second: Counter = Counter()
        self.answers: dict[str, dict] = {}
        self.id_numbers: set[str] = set()
        self.attempts = 0
        self.failures = 0
        self.pool = eventlet.GreenPool(10_000)
        self.running = True

    def run(self) -> None:
        next_tick = time.monotonic()
        while self.running:
            people = [self.new_person() for _ in range(BATCH)]
            self.offered_per_second[int(time.monotonic())] += BATCH
            self.pool.spawn_n(self.submit, uuid.uuid4().hex, people)
            next_tick += TICK_SECONDS
            eventlet.sleep(max(0.0, next_tick - time.monotonic()))

    def new_person(self) -> dict:
        """A person not offered before: a refusal can then only mean a command ran twice."""
        while (id_number := self.sample.id_number()) in self.id_numbers:
            pass
        self.id_numbers.add(id_number)
        return {
            "name": self.sample.name(),
            "id_number": id_number,
            "village_code": self.sample.village_code(),
        }

    def submit(self, key: str, people: list[dict]) -> None:
        while True:
            slot = self.clients.get()
            client = None
            try:
                if slot is None:
                    client = ClusterRpcClient(
                        uri=self.uri, timeout=10, context_data={"token": self.token}
                    )
                    slot = (client, client.start())
                client, proxy = slot
                self.attempts += 1
                self.answers[key] = proxy.registry.register_labourers(people, idempotency_key=key)
                self.clients.put(slot)
                return
            except Exception:  # broker down, connection cut, timeout: same key, later
                self.failures += 1
                if client is not None:
                    try:
                        client.stop()
                    except Exception:
                        pass
                self.clients.put(None)
                eventlet.sleep(0.5)

    def report(self) -> dict:
        return {
            "offered_per_second": {str(s): n for s, n in self.offered_per_second.items()},
            "answers": self.answers,
            "attempts": self.attempts,
            "failures": self.failures,
            "batch": BATCH,
        }


def main(uri: str, token: str, seed: str, out: str) -> None:
    try:
        os.nice(-5)
    except PermissionError:
        pass
    load = Load(uri, token, SampleData(int(seed)))

    def stop(*_):
        load.running = False

    signal.signal(signal.SIGTERM, stop)
    load.run()
    with eventlet.Timeout(DRAIN_SECONDS):
        load.pool.waitall()
    with open(out + ".part", "w", encoding="utf-8") as file:
        json.dump(load.report(), file)
    os.replace(out + ".part", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
