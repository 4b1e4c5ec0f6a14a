"""Start one service as a process: `python -m <service> [run|migrate|check-config]`.

Importing this module monkey-patches the process for eventlet, so it must be the first import of
a service's `__main__` and nothing else should import it.
"""

import warnings

# eventlet warns on import that it is in maintenance mode; operators cannot act on that.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import errno  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
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


def main(
    package: str, service_class: str, argv: list[str] | None = None, commands: dict | None = None
) -> None:
    """`commands`: the service's own operator commands, name -> function(config, arguments)."""
    commands = commands or {}
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

    home = service_dir(package)
    try:
        config = load_config(args.config or home / "config.yml", package)
    except ConfigError as exc:
        sys.exit(f"{package}: configuration error: {exc}")
    setup_logging(package, config["COUNTY"], config["LOG_LEVEL"])
    database_url = config[package]["DATABASE_URL"]

    if args.command == "check-config":
        print(f"{package}: configuration is valid")
        return
    if args.command == "migrate":
        upgrade(home, database_url, settings=config[package])
        print(f"{package}: database {redact_url(database_url)} is up to date")
        return

    try:
        check_current(home, database_url)
    except SchemaNotCurrent as exc:
        sys.exit(f"{package}: {exc}")
    if args.command in commands:
        nameko_config.update(config)
        sys.exit(commands[args.command](config, args.arguments))
    module_name, class_name = service_class.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    nameko_config.update(config)
    run(cls)


def run(service_cls) -> None:
    runner = ServiceRunner()
    runner.add_service(service_cls)

    def shutdown(signum, frame):
        # Signal handlers run in the hub's main loop: stop from a greenthread.
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
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
