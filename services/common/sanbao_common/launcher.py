"""Start one service as a process: `python -m <service> [run|migrate|check-config]`.

Importing this module sets up JSON logging and then monkey-patches the process for eventlet, so
it must be the first import of a service's `__main__` (and its only one: a service's own
commands are named as "module:function" strings, imported once logging is set up), and nothing
else should import it. Everything the process writes to stderr is a JSON line from the first
import on: eventlet warns as it is imported, and that warning, like any other, goes through
logging.
"""

import sys
import warnings

from sanbao_common.logs import capture_stdout, setup_process_logging

setup_process_logging()

# eventlet warns on import that it is in maintenance mode; operators cannot act on that. An
# operator who asks for warnings (PYTHONWARNINGS, -W) sees it, as a JSON line like any other.
if not sys.warnoptions:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402
import eventlet.event  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import errno  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from nameko import config as nameko_config  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from sanbao_common.config import ConfigError, load_config, redact_url  # noqa: E402
from sanbao_common.logs import setup_logging  # noqa: E402
from sanbao_common.migrations import SchemaNotCurrent, check_current, upgrade  # noqa: E402

log = logging.getLogger("sanbao.launcher")


def service_dir(package: str) -> Path:
    """`services/<name>/`: where the service keeps config.yml, alembic.ini and alembic/."""
    return Path(importlib.import_module(package).__file__).resolve().parent.parent


def resolve(target):
    """A function, or "module:function" naming one (imported now, after the process is set up)."""
    if callable(target):
        return target
    module_name, name = target.split(":")
    return getattr(importlib.import_module(module_name), name)


def stop(message: str, *args) -> None:
    """End the process with exit code 1, saying why in a log line."""
    log.error(message, *args)
    sys.exit(1)


def main(
    package: str, service_class: str, argv: list[str] | None = None, commands: dict | None = None
) -> None:
    """`commands`: the service's own operator commands, name -> function(config, arguments) or
    "module:function"; their output on stdout is for the operator (registry's bootstrap prints
    the one-time password there), everything else leaves as JSON log lines."""
    commands = commands or {}
    setup_logging(package, os.environ.get("COUNTY"))
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "check-config", *commands],
        help="run the service (default), bring its database schema up to date, only validate "
        "its configuration" + "".join(f", or {name}" for name in commands),
    )
    parser.add_argument("arguments", nargs="*", help="arguments of the service's own command")
    parser.add_argument("--config", type=Path, help="config file (default: the service's own)")
    args = parser.parse_args(argv)
    if args.command not in commands:
        capture_stdout()

    home = service_dir(package)
    try:
        config = load_config(args.config or home / "config.yml", package)
    except ConfigError as exc:
        stop("configuration error: %s", exc)
    setup_logging(package, config["COUNTY"], config["LOG_LEVEL"])
    database_url = config[package]["DATABASE_URL"]

    if args.command == "check-config":
        log.info("configuration is valid")
        return
    if args.command == "migrate":
        upgrade(home, database_url, settings=config[package])
        log.info("database %s is up to date", redact_url(database_url))
        return

    try:
        check_current(home, database_url)
    except SchemaNotCurrent as exc:
        stop("%s", exc)
    if args.command in commands:
        nameko_config.update(config)
        sys.exit(resolve(commands[args.command])(config, args.arguments))
    cls = resolve(service_class)
    nameko_config.update(config)
    run(cls)


def run(service_cls) -> None:
    runner = ServiceRunner()
    runner.add_service(service_cls)
    started = eventlet.event.Event()

    def stop_once_started():
        # A stop while the service is still starting (its consumers declaring their queues)
        # could hang; it waits until the start has finished, then stops.
        started.wait()
        runner.stop()

    def shutdown(signum, frame):
        # Signal handlers run in the hub's main loop: stop from a greenthread.
        eventlet.spawn_n(stop_once_started)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    started.send()
    log.info("service started", extra={"address": nameko_config[service_cls.name]["HTTP_ADDRESS"]})
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
        except OSError as exc:
            if exc.errno == errno.EINTR:  # a signal interrupted the wait; keep waiting
                continue
            raise
        break
    log.info("service stopped")
