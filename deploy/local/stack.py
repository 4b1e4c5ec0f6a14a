"""Bring one county's stack up on this machine, without containers: `make run`.

Makes sure a broker answers (starting the local RabbitMQ if it is installed and stopped), creates
the county's vhost, creates or migrates each service's database, starts the five services as
processes, waits until each answers its health check, prints where each serves /metrics, and stops
them all cleanly on Ctrl-C. Running it again is safe: vhost and migrations are idempotent, and a
second run while the first is up only reports on the running stack.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from prerequisites import ensure_broker, ensure_management, fail, say  # beside this file

from sanbao_common.config import ConfigError, load_config, redact_url
from sanbao_common.crypto import (
    load_private_key,
    new_signing_key,
    public_key_text,
    save_data_key,
    save_private_key,
)
from sanbao_common.local import DEFAULT_API_URI, broker_secrets_file, default_admin_uri
from sanbao_common.messaging.admin import (
    ManagementApi,
    apply_topology,
    provision_users,
    vhost_of,
    with_credentials,
)
from sanbao_common.messaging.topology import user_name
from sanbao_common.seals import parse_registrar_keys

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
HEALTH_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60


def provision_broker(admin_uri: str, api: ManagementApi, county: str, secrets_file: Path) -> dict:
    """The county's vhost, its users (passwords kept in var/, reused on the next run) and its
    topology. Returns each service's own AMQP URI."""
    vhost = vhost_of(admin_uri)
    admin_user = urlsplit(admin_uri).username or "guest"
    api.ensure_vhost(vhost)
    api.grant_all(vhost, admin_user)
    known = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    passwords = provision_users(api, vhost, county, known)
    if passwords != known:
        secrets_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        secrets_file.touch(mode=0o600)
        secrets_file.write_text(json.dumps(passwords, indent=2))
    topology = apply_topology(admin_uri)
    say(
        f"county {county}: vhost {vhost}, {len(passwords)} broker users, "
        f"{len(topology.exchanges)} exchanges and {len(topology.queues)} queues declared"
    )
    return {
        service: with_credentials(
            admin_uri, user_name(county, service), passwords[user_name(county, service)]
        )
        for service in SERVICES
    }


def ensure_key(var_dir: Path, name: str) -> str:
    """A key pair kept between runs (mode 0600): the county's token key, whose private half only
    registry reads, and the fund's checkpoint key, only the fund's. Returns the public half."""
    path = var_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        save_private_key(new_signing_key(), path, None)
        say(f"generated {path}")
    return public_key_text(load_private_key(path, None))


def pinned_registrar_keys() -> list[str]:
    """The fingerprints of the seal registrar keys SEAL_REGISTRAR_KEYS (the operator's
    environment) pins; a value that is not such keys stops make run before anything starts."""
    try:
        return sorted(parse_registrar_keys(os.environ.get("SEAL_REGISTRAR_KEYS")))
    except ValueError as exc:
        fail(
            f"SEAL_REGISTRAR_KEYS is not a comma-separated list of base64 Ed25519 public keys "
            f"({exc}); use the public key `sanbao registrar new` printed"
        )


def service_config(service: str) -> dict:
    try:
        return load_config(ROOT / "services" / service / "config.yml", service)
    except ConfigError as exc:
        fail(f"{service}: configuration error: {exc}")


def health(address: str) -> dict | None:
    try:
        response = requests.get(f"http://{address}/health", timeout=2)
        return response.json()
    except (requests.RequestException, ValueError):
        return None


def ensure_data_key(var_dir: Path) -> None:
    """The county's data key (mode 0600), kept between runs: without it no sealed ID number or
    phone can be read again, so it is created once and never replaced."""
    path = var_dir / "secrets" / "data-key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        save_data_key(path)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()

    county = os.environ.get("COUNTY", "532501")
    var_dir = Path(os.environ.get("SANBAO_VAR_DIR", ROOT / "var")) / county
    os.environ.setdefault("TOKEN_PUBLIC_KEYS", ensure_key(var_dir, "token-signing-key.pem"))
    # registry's witness keeps only the checkpoints the fund's own key signed.
    os.environ.setdefault(
        "FUND_CHECKPOINT_PUBLIC_KEYS", ensure_key(var_dir, "fund-checkpoint-key.pem")
    )
    ensure_data_key(var_dir)
    registrars = pinned_registrar_keys()
    configs = {service: service_config(service) for service in SERVICES}
    county = configs["registry"]["COUNTY"]
    admin_uri = os.environ.get("SANBAO_ADMIN_AMQP_URI") or default_admin_uri(county)
    api = ManagementApi(os.environ.get("RABBITMQ_API_URI", DEFAULT_API_URI))
    var_dir.mkdir(parents=True, exist_ok=True)

    # Held until this process exits: a second `make run` for the county sees the lock.
    lock = open(var_dir / "stack.lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say(f"a stack for county {county} is already running on this machine:")
        print_status(configs)
        return

    ensure_broker(admin_uri)
    ensure_management(api)
    service_uris = provision_broker(admin_uri, api, county, broker_secrets_file(var_dir))

    python = sys.executable
    for service in SERVICES:
        result = subprocess.run(
            [python, "-m", service, "migrate"], cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode:
            fail(f"{service}: migration failed:\n{result.stderr[-2000:]}")
        say(
            f"{service}: database {redact_url(configs[service][service]['DATABASE_URL'])} "
            "is up to date"
        )
    bootstrap = subprocess.run(
        [python, "-m", "registry", "bootstrap", "admin"], cwd=ROOT, capture_output=True, text=True
    )
    if bootstrap.returncode == 0:
        say("the county's first administrator was created; this password is shown only now:")
        print("\n" + bootstrap.stdout)
    elif bootstrap.returncode != 3:  # 3: the county already has users
        fail(f"registry bootstrap failed:\n{bootstrap.stdout}{bootstrap.stderr[-2000:]}")
    # A demonstration stack's villages by name (a county with a list of its own keeps it).
    villages = subprocess.run(
        [python, "-m", "registry", "sample-villages"], cwd=ROOT, capture_output=True, text=True
    )
    if villages.returncode:
        fail(f"registry sample-villages failed:\n{villages.stdout}{villages.stderr[-2000:]}")
    say(f"registry: {villages.stdout.strip()}")

    logs = var_dir / "logs"
    logs.mkdir(exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}

    def stop_all(*_):
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for service, proc in processes.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{service} did not stop within {STOP_TIMEOUT_S} s: killing it")
                proc.kill()
        say("all services stopped")

    def start(service: str) -> None:
        log_file = open(logs / f"{service}.log", "a")  # noqa: SIM115 - the child keeps it
        env = dict(os.environ, **{f"{service.upper()}_AMQP_URI": service_uris[service]})
        processes[service] = subprocess.Popen(
            [python, "-m", service],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    for service in SERVICES:
        start(service)

    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    waiting = set(SERVICES)
    while waiting:
        for service in sorted(waiting):
            proc = processes[service]
            if proc.poll() is not None:
                stop_all()
                tail = (logs / f"{service}.log").read_text(errors="replace")[-3000:]
                fail(f"{service} exited with code {proc.returncode}; the end of its log:\n{tail}")
            report = health(configs[service][service]["HTTP_ADDRESS"])
            if report and report.get("status") == "ok":
                waiting.discard(service)
        if waiting and time.monotonic() > deadline:
            stop_all()
            fail(
                f"not healthy within {HEALTH_TIMEOUT_S} s: {', '.join(sorted(waiting))}; see {logs}"
            )
        time.sleep(0.2)

    print_status(configs, processes, logs)
    if registrars:
        say(f"seal registrar keys pinned (fingerprints): {'; '.join(registrars)}")
    else:
        say(
            "no seal registrar key is pinned (SEAL_REGISTRAR_KEYS is empty): no seal takes effect, "
            "so no joint account can open until the finance bureau's registrar key is pinned "
            "(`sanbao registrar new --out registrar.pem` on the registrar's machine, then "
            "SEAL_REGISTRAR_KEYS=<its public key> make run)"
        )
    say("try:  .venv/bin/sanbao login admin        (then: sanbao password change)")
    say("      .venv/bin/sanbao status")
    say(
        "      .venv/bin/sanbao labourer register --name 李秀英 --id-number "
        "532501199003150013 --village 532501001201"
    )
    say("      .venv/bin/sanbao candidates count")
    say("press Ctrl-C to stop the stack")

    stopping = []
    restarts: dict[str, list[float]] = {service: [] for service in SERVICES}

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopping:
        for service, proc in list(processes.items()):
            if proc.poll() is None:
                continue
            # Like a container orchestrator: restart it, unless it keeps dying.
            now = time.monotonic()
            recent = [t for t in restarts[service] if now - t < RESTART_WINDOW_S]
            log = logs / (service + ".log")
            if len(recent) >= MAX_RESTARTS:
                say(
                    f"{service} exited {MAX_RESTARTS} times within {RESTART_WINDOW_S} s; "
                    f"stopping the stack (its log: {log})"
                )
                stopping.append(0)
                break
            say(f"{service} exited with code {proc.returncode}; restarting it (its log: {log})")
            restarts[service] = [*recent, now]
            start(service)
        time.sleep(0.5)
    print()
    say("stopping the services")
    stop_all()


def print_status(configs: dict, processes: dict | None = None, logs: Path | None = None) -> None:
    print(f"\n{'service':<12}{'status':<9}{'pid':<9}{'metrics':<36}log")
    for service in SERVICES:
        address = configs[service][service]["HTTP_ADDRESS"]
        report = health(address) or {}
        pid = str(processes[service].pid) if processes else "-"
        log = str(logs / f"{service}.log") if logs else "-"
        print(
            f"{service:<12}{report.get('status', 'down'):<9}{pid:<9}"
            f"{'http://' + address + '/metrics':<36}{log}"
        )
    print()


if __name__ == "__main__":
    main()
