"""`sanbao status` asks every service at once with a short timeout and names those that are
down; `sanbao` without the stack's configuration says what to set and stops, and never connects
as the broker's administrator."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sanbao_cli.client import CliError
from sanbao_cli.commands import stack as stack_commands
from sanbao_cli.commands.stack import SERVICES, STATUS_WITHIN, ask_all
from sanbao_cli.session import Session
from testkit import TEST_COUNTY

SANBAO = str(Path(sys.executable).parent / "sanbao")


def healthy(service: str) -> dict:
    return {"status": "ok", "version": "1.0", "county": TEST_COUNTY, "checks": {"database": "ok"}}


def test_every_service_is_asked_at_once_with_the_short_timeout():
    """Each call waits at a barrier that opens only when all of them are waiting: asked one
    after another, the first would wait alone and the barrier break."""
    barrier = threading.Barrier(len(SERVICES), timeout=10)
    timeouts = {}

    def call(service, method, timeout):
        assert method == "health"
        timeouts[service] = timeout
        barrier.wait()
        if service in ("fund", "notify"):
            raise CliError("TIMEOUT", f"{service} did not answer within {timeout:g} s")
        return healthy(service)

    answers = ask_all(call, SERVICES, STATUS_WITHIN)
    assert not barrier.broken
    assert timeouts == dict.fromkeys(SERVICES, STATUS_WITHIN)
    assert STATUS_WITHIN <= 5  # a few seconds, not the --timeout of every other command
    down = sorted(s for s, a in answers.items() if isinstance(a, CliError))
    assert down == ["fund", "notify"]
    assert answers["registry"] == healthy("registry")


def test_a_call_that_never_returns_counts_as_down():
    """However a call hangs (it ignores its timeout), `ask_all` stops waiting for it."""
    released = threading.Event()

    def call(service, method, timeout):
        if service == "dispatch":
            released.wait(30)
        return healthy(service)

    answers = ask_all(call, SERVICES, 0.1)
    released.set()
    assert isinstance(answers["dispatch"], CliError) and answers["dispatch"].code == "TIMEOUT"
    assert all(answers[s] == healthy(s) for s in SERVICES if s != "dispatch")


def test_status_names_the_services_that_are_down(cli, monkeypatch):
    asked = {}

    def probe(session):
        def call(service, method, timeout):
            asked[service] = timeout
            if service in ("fund", "settlement"):
                raise CliError("SERVICE_DOWN", f"{service} is not running")
            return healthy(service)

        return call

    monkeypatch.setattr(stack_commands, "_probe", probe)
    result = cli(None, "status", "--within", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith("error [STACK_UNHEALTHY] ")
    assert "down: fund, settlement" in result.stderr and "fund、settlement" in result.stderr
    assert asked == dict.fromkeys(SERVICES, 2.0)
    as_json = cli(None, "status", "--json")
    assert json.loads(as_json.stdout)["fund"]["status"] == "down"
    assert json.loads(as_json.stdout)["registry"]["status"] == "ok"


def test_status_with_the_stack_down_names_every_service(cli, topology, token_keys):
    """On the county's broker with no service running: every one of them is named."""
    from nameko import config as nameko_config

    token = token_keys.mint(["county_admin"])
    result = cli(None, "--amqp-uri", nameko_config["AMQP_URI"], "status", "--within", "1",
                 token=token)  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error [STACK_UNHEALTHY] 5 of 5 services are not ok")
    for service in SERVICES:
        assert service in result.stderr


def test_without_configuration_sanbao_says_what_to_set_and_stops(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SANBAO_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run([SANBAO, "status"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error [NOT_CONFIGURED] ")
    assert len(result.stderr.strip().splitlines()) == 1
    said = result.stderr
    assert str(tmp_path / "var" / TEST_COUNTY / "secrets" / "broker.json") in said
    assert "SANBAO_AMQP_URI" in said and "SANBAO_VAR_DIR" in said and "make run" in said
    assert "找不到本县" in said  # in Chinese too


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["whoami"],
        ["labourer", "count"],
        ["dead-letters", "list"],
        ["topology", "apply"],
    ],
)
def test_without_configuration_nothing_connects_as_the_administrator(cli, monkeypatch, args):
    """Not the broker's guest, not anyone: no connection is even attempted."""
    import sanbao_cli.client

    attempts = []
    monkeypatch.setattr(
        sanbao_cli.client, "ClusterRpcClient", lambda **kw: attempts.append(kw) or 1 / 0
    )
    result = cli(None, *args)
    assert result.exit_code == 1, result.output
    assert "[NOT_CONFIGURED]" in result.stderr
    assert attempts == []
    if args[0] in ("dead-letters", "topology"):
        assert "--admin-uri" in result.stderr and "SANBAO_ADMIN_AMQP_URI" in result.stderr


@pytest.mark.parametrize("args", [["whoami"], ["labourer", "count"]])
def test_a_broker_uri_without_a_user_is_refused_not_completed_with_guest(cli, monkeypatch, args):
    """kombu fills a URI naming no user with guest:guest, the broker's administrator."""
    import sanbao_cli.client

    attempts = []
    monkeypatch.setattr(
        sanbao_cli.client, "ClusterRpcClient", lambda **kw: attempts.append(kw) or 1 / 0
    )
    result = cli(None, "--amqp-uri", f"amqp://127.0.0.1:5672/sanbao-{TEST_COUNTY}", *args)
    assert result.exit_code == 1, result.output
    assert "[NOT_CONFIGURED]" in result.stderr and "names no user" in result.stderr
    assert attempts == []


def test_the_kit_never_completes_a_broker_uri_with_guest():
    from sanbao_common.messaging.admin import ManagementApi, connect
    from sanbao_common.messaging.publisher import open_connection

    for opening in (connect, open_connection):
        with pytest.raises(ValueError, match="names no user"):
            opening("amqp://127.0.0.1:5672/sanbao-532501")
    with pytest.raises(ValueError, match="names no user"):
        ManagementApi("http://127.0.0.1:15672/api")


def test_make_runs_cli_user_is_found_on_this_machine(tmp_path, monkeypatch):
    secrets = tmp_path / "var" / TEST_COUNTY / "secrets" / "broker.json"
    secrets.parent.mkdir(parents=True)
    secrets.write_text(json.dumps({f"sanbao-{TEST_COUNTY}-cli": "the cli's password"}))
    monkeypatch.setenv("SANBAO_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home"))
    session = Session(TEST_COUNTY, None, None, 10)
    assert session.amqp_uri.startswith(f"amqp://sanbao-{TEST_COUNTY}-cli:")
    assert session.amqp_uri.endswith(f"@127.0.0.1:5672/sanbao-{TEST_COUNTY}")
    with pytest.raises(CliError) as refused:
        session.admin_uri  # noqa: B018 - the admin URI is never guessed
    assert refused.value.code == "NOT_CONFIGURED"
