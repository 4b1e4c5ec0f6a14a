"""A newcomer's path, with the stack running as processes: register a labourer with `sanbao`
and see it counted in dispatch's /metrics; errors come back as one line with a code."""

import time

import pytest

pytestmark = pytest.mark.e2e


def wait_for_metric(stack, service, name, value, within=30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if stack.metric(service, name) == value:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never reached {value}: {stack.metric(service, name)}")


def test_a_labourer_registered_with_sanbao_is_counted_by_dispatch(running_stack, sample):
    status = running_stack.cli("status")
    assert status.returncode == 0, status.stderr
    for service in ("registry", "dispatch", "fund", "settlement", "notify"):
        assert service in status.stdout

    id_number = sample.id_number()
    registered = running_stack.cli(
        "labourer", "register", "--name", "李秀英", "--id-number", id_number,
        "--village", "532501001201", "--phone", "13769347503",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    assert id_number[:6] + "********" + id_number[-4:] in registered.stdout
    assert id_number not in registered.stdout

    wait_for_metric(running_stack, "dispatch", "sanbao_dispatch_candidates", 1.0)
    counted = running_stack.cli("candidates", "count")
    assert counted.returncode == 0 and "1" in counted.stdout

    again = running_stack.cli(
        "labourer", "register", "--name", "李秀英", "--id-number", id_number,
        "--village", "532501001201",
    )  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.startswith("error [LABOURER_ALREADY_REGISTERED] ")
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1

    # Nothing personal in any service's log.
    for service in ("registry", "dispatch"):
        assert id_number not in running_stack.log(service)
        assert "13769347503" not in running_stack.log(service)


def test_the_pool_survives_a_restart_of_dispatch(running_stack, sample):
    for _ in range(2):
        result = running_stack.cli(
            "labourer", "register", "--name", sample.name(), "--id-number", sample.id_number(),
            "--village", sample.village_code(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    wait_for_metric(running_stack, "dispatch", "sanbao_dispatch_candidates", 2.0)
    running_stack.stop("dispatch")
    running_stack.start("dispatch")
    assert running_stack.metric("dispatch", "sanbao_dispatch_candidates") == 2.0


def test_a_stopped_service_is_reported_not_a_traceback(running_stack):
    running_stack.stop("fund")
    result = running_stack.cli("--timeout", "3", "status")
    assert result.returncode == 1
    assert "fund" in result.stdout and "down" in result.stdout
    assert result.stderr.startswith("error [STACK_UNHEALTHY] ")


def test_an_operator_sees_parked_events_and_sends_them_back(running_stack, sample):
    from messaging_helpers import labourer_event, publish

    broken = labourer_event(sample, payload={"person_id": "no-name"})
    publish(running_stack.admin_uri, "registry.events", "labourer_registered", [broken])

    def listed():
        result = running_stack.cli("dead-letters", "list")
        return broken["event_id"] in result.stdout and result

    result = eventually_cli(listed)
    assert "payload does not fit" in result.stdout
    replay = running_stack.cli("dead-letters", "replay", "--event-id", broken["event_id"])
    assert replay.returncode == 0 and "1" in replay.stdout
    # Still broken, so parked again: the point is that it went back to its queue and returned.
    assert eventually_cli(listed)
    usage = running_stack.cli("dead-letters", "replay")
    assert usage.returncode == 2 and "--event-id" in usage.stderr


def test_a_replay_from_the_outbox_is_applied_once(running_stack, sample):
    for _ in range(3):
        result = running_stack.cli(
            "labourer", "register", "--name", sample.name(), "--id-number", sample.id_number(),
            "--village", sample.village_code(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    wait_for_metric(running_stack, "dispatch", "sanbao_dispatch_candidates", 3.0)
    replay = running_stack.cli("events", "replay", "--to", "dispatch.handle_labourer_registered")
    assert replay.returncode == 0, replay.stderr
    assert "3" in replay.stdout
    duplicates = (
        'sanbao_dispatch_event_handler_messages_total{handler="handle_labourer_registered",'
        'outcome="duplicate"}'
    )
    wait_for_metric(running_stack, "dispatch", duplicates, 3.0)
    assert running_stack.metric("dispatch", "sanbao_dispatch_candidates") == 3.0


def eventually_cli(check, within=30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError("the CLI never showed what was expected")
