"""Every line a service process writes is JSON: started as `make run` and deploy/entrypoint.sh
start it (`python -m <service> migrate`, then `python -m <service>`), on the real broker, with
warnings asked for; when it fails to start; and whatever a library prints."""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from sanbao_common.crypto import public_key_text
from sanbao_common.logs import LinesToLog, setup_logging
from sanbao_common.messaging.admin import apply_topology
from testkit import ROOT, SERVICES, TEST_COUNTY, free_port, service_dir

SERVICE = "registry"  # the one with commands of its own, and the most to import


def service_env(rabbit_uri, token_keys, tmp_path: Path, **extra) -> dict:
    env = dict(
        os.environ,
        COUNTY=TEST_COUNTY,
        LOG_LEVEL="INFO",
        TOKEN_PUBLIC_KEYS=token_keys.public,
        TOKEN_SIGNING_KEY_FILE=str(token_keys.path),
        DATA_KEY_FILE=str(token_keys.data_key_path),
        FUND_CHECKPOINT_PUBLIC_KEYS=public_key_text(token_keys.checkpoint_key),
        REGISTRY_AMQP_URI=rabbit_uri,
        REGISTRY_DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite'}",
        REGISTRY_HTTP_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    env.pop("PYTHONWARNINGS", None)
    env.update(extra)
    return env


def json_lines(output: bytes) -> list[dict]:
    lines = output.decode("utf-8").splitlines()
    assert lines, "the process wrote nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\nwhole output:\n{output.decode()}")
    return parsed


def run_service(env: dict, log_path: Path) -> None:
    """Migrate, start, wait until healthy, stop with SIGTERM: the output goes to `log_path`."""
    with open(log_path, "ab") as log:
        migrated = subprocess.run(
            [sys.executable, "-m", SERVICE, "migrate"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        assert migrated.returncode == 0, log_path.read_text()
        process = subprocess.Popen(
            [sys.executable, "-m", SERVICE], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        health = f"http://{env['REGISTRY_HTTP_ADDRESS']}/health"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                if requests.get(health, timeout=1).json()["status"] == "ok":
                    break
            except (requests.RequestException, ValueError):
                pass
            assert time.monotonic() < deadline, "not healthy in 60 s:\n" + log_path.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log_path.read_text()


def test_a_started_service_writes_only_json_lines_warnings_included(
    rabbit_uri, token_keys, tmp_path
):
    apply_topology(rabbit_uri)
    # An operator asking for every warning: eventlet's, raised as it is imported, is one.
    env = service_env(rabbit_uri, token_keys, tmp_path, PYTHONWARNINGS="default")
    run_service(env, tmp_path / "service.log")

    lines = json_lines((tmp_path / "service.log").read_bytes())
    warned = [line for line in lines if "Eventlet is deprecated" in line["message"]]
    assert len(warned) == 2  # once by each process: migrate, then the service
    assert all((w["level"], w["logger"]) == ("WARNING", "py.warnings") for w in warned)
    assert all(line["service"] == SERVICE and line["county"] == TEST_COUNTY for line in lines)
    messages = [line["message"] for line in lines]
    assert any("is up to date" in m for m in messages)  # migrate's answer, a log line too
    assert "service started" in messages and "service stopped" in messages


def test_without_warnings_asked_for_eventlets_is_not_shown(rabbit_uri, token_keys, tmp_path):
    env = service_env(rabbit_uri, token_keys, tmp_path)
    checked = subprocess.run(
        [sys.executable, "-m", SERVICE, "check-config"], cwd=ROOT, env=env, capture_output=True
    )
    assert checked.returncode == 0
    lines = json_lines(checked.stdout + checked.stderr)
    messages = [line["message"] for line in lines]
    assert messages[-1] == "configuration is valid"
    assert not any("Eventlet" in m for m in messages)


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ({"TOKEN_PUBLIC_KEYS": ""}, "TOKEN_PUBLIC_KEYS"),  # refused configuration
        ({"REGISTRY_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "OperationalError"),
    ],
)
def test_a_service_that_cannot_start_says_why_in_json(
    rabbit_uri, token_keys, tmp_path, setting, why
):
    env = service_env(rabbit_uri, token_keys, tmp_path, **setting)
    failed = subprocess.run(
        [sys.executable, "-m", SERVICE, "migrate"], cwd=ROOT, env=env, capture_output=True
    )
    assert failed.returncode == 1
    lines = json_lines(failed.stdout + failed.stderr)
    assert any(why in line["message"] + line.get("exc", "") for line in lines)
    assert lines[-1]["level"] in ("ERROR", "CRITICAL")


def test_a_service_main_imports_only_the_launcher():
    """Whatever a `__main__` imports before the launcher is imported before eventlet is patched
    in and before logging is JSON (eventlet's warning came out as plain text that way)."""
    for service in SERVICES:
        main = service_dir(service) / service / "__main__.py"
        imports = [
            node
            for node in ast.walk(ast.parse(main.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        assert [(i.module, [a.name for a in i.names]) for i in imports] == [
            ("sanbao_common.launcher", ["main"])
        ], main


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    setup_logging("registry", TEST_COUNTY, "DEBUG", stream=stream)
    yield stream
    logging.getLogger().handlers.clear()


def test_text_a_library_prints_becomes_log_lines_a_traceback_one_line(log_stream):
    stderr = LinesToLog(io.StringIO(), "stderr", logging.WARNING)
    stderr.write("Removing descriptor: 7\n")
    try:
        raise ValueError("id 532501199003150013 refused")
    except ValueError:
        import traceback

        traceback.print_exc(file=stderr)
    print("half a line", end="", file=stderr)
    stderr.flush()

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert [(line["logger"], line["level"]) for line in lines] == [
        ("stderr", "WARNING"),
        ("stderr", "ERROR"),
        ("stderr", "WARNING"),
    ]
    assert lines[0]["message"] == "Removing descriptor: 7"
    assert lines[1]["message"].startswith("Traceback (most recent call last):")
    assert lines[1]["message"].endswith("ValueError: id 532501***********3 refused")  # masked
    assert lines[2]["message"] == "half a line"
    assert stderr.target.getvalue() == ""  # nothing got past as plain text
