"""A RabbitMQ node of the test's own, on other ports, that fault tests may stop, restart and cut
off without touching the shared broker every other test uses."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from testkit import free_port

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


class RabbitNode:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.name = f"sanbao-fault-{os.getpid()}@localhost"
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.management_port = free_port()
        self.process: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (workdir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "loopback_users = none\n"
        )

    @staticmethod
    def available() -> bool:
        return os.path.exists(SERVER) and shutil.which("erl") is not None

    @property
    def env(self) -> dict:
        return dict(
            os.environ,
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.workdir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.workdir / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.workdir / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(self.workdir / "rabbitmq.conf"),
            RABBITMQ_PID_FILE=str(self.workdir / "pid"),
        )

    @property
    def api(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def amqp_uri(self, vhost: str, user: str = "guest", password: str = "guest") -> str:
        return f"amqp://{user}:{password}@127.0.0.1:{self.amqp_port}/{vhost}"

    def start(self, within: float = 90) -> None:
        log = open(self.workdir / "server.out", "ab")  # noqa: SIM115 - the node keeps it
        self.process = subprocess.Popen(
            [SERVER], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"RabbitMQ node exited: {(self.workdir / 'server.out').read_text()[-2000:]}"
                )
            try:
                requests.get(f"{self.api}/api/overview", timeout=1).raise_for_status()
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"RabbitMQ node did not start within {within} s")

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run(
            [CTL, "-n", self.name, "stop"], env=self.env, capture_output=True, timeout=60
        )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def drop_connections(self, vhost: str) -> int:
        connections = requests.get(f"{self.api}/api/vhosts/{vhost}/connections", timeout=10).json()
        for connection in connections:
            requests.delete(
                f"{self.api}/api/connections/{requests.utils.quote(connection['name'], safe='')}",
                headers={"X-Reason": "fault test"},
                timeout=10,
            )
        return len(connections)

    def queue_depth(self, vhost: str, queue: str) -> int:
        info = requests.get(f"{self.api}/api/queues/{vhost}/{queue}", timeout=10).json()
        return info.get("messages", 0)
