"""A newcomer's path, with the stack running as processes: register a labourer with `sanbao`
and see it counted in dispatch's /metrics; errors come back as one line with a code."""

import time

import pytest

from sanbao_common.privacy import mask_id_number

pytestmark = pytest.mark.e2e


def wait_for_metric(stack, service, name, value, within=30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if stack.metric(service, name) == value:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} never reached {value}: {stack.metric(service, name)}")


def test_a_labourer_registered_with_sanbao_is_counted_by_dispatch(signed_in_stack, sample):
    status = signed_in_stack.cli("status")
    assert status.returncode == 0, status.stderr
    for service in ("registry", "dispatch", "fund", "settlement", "notify"):
        assert service in status.stdout

    id_number = sample.id_number()
    registered = signed_in_stack.cli(
        "labourer",
        "register",
        "--name",
        "李秀英",
        "--id-number",
        id_number,
        "--village",
        "532501001201",
        "--phone",
        "13769347503",
    )
    assert registered.returncode == 0, registered.stderr
    assert mask_id_number(id_number) in registered.stdout
    assert id_number in registered.stdout  # the county's administrator sees it in full

    wait_for_metric(signed_in_stack, "dispatch", "sanbao_dispatch_candidates", 1.0)
    counted = signed_in_stack.cli("candidates", "count")
    assert counted.returncode == 0 and "1" in counted.stdout

    again = signed_in_stack.cli(
        "labourer",
        "register",
        "--name",
        "李秀英",
        "--id-number",
        id_number,
        "--village",
        "532501001201",
    )
    assert again.returncode == 1
    assert again.stderr.startswith("error [LABOURER_ALREADY_REGISTERED] ")
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1

    # Nothing personal in any service's log.
    for service in ("registry", "dispatch"):
        assert id_number not in signed_in_stack.log(service)
        assert "13769347503" not in signed_in_stack.log(service)


def test_the_pool_survives_a_restart_of_dispatch(signed_in_stack, sample):
    for _ in range(2):
        result = signed_in_stack.cli(
            "labourer",
            "register",
            "--name",
            sample.name(),
            "--id-number",
            sample.id_number(),
            "--village",
            sample.village_code(),
        )
        assert result.returncode == 0, result.stderr
    wait_for_metric(signed_in_stack, "dispatch", "sanbao_dispatch_candidates", 2.0)
    signed_in_stack.stop("dispatch")
    signed_in_stack.start("dispatch")
    assert signed_in_stack.metric("dispatch", "sanbao_dispatch_candidates") == 2.0


def test_a_stopped_service_is_reported_not_a_traceback(signed_in_stack):
    signed_in_stack.stop("fund")
    result = signed_in_stack.cli("--timeout", "3", "status")
    assert result.returncode == 1
    assert "fund" in result.stdout and "down" in result.stdout
    assert result.stderr.startswith("error [STACK_UNHEALTHY] ")


def test_an_operator_sees_parked_events_and_sends_them_back(signed_in_stack, sample):
    from messaging_helpers import labourer_event, publish

    broken = labourer_event(sample, payload={"person_id": "no-name"})
    publish(signed_in_stack.admin_uri, "registry.events", "labourer_registered", [broken])

    def listed():
        result = signed_in_stack.cli("dead-letters", "list")
        return broken["event_id"] in result.stdout and result

    result = eventually_cli(listed)
    assert "payload does not fit" in result.stdout
    replay = signed_in_stack.cli("dead-letters", "replay", "--event-id", broken["event_id"])
    assert replay.returncode == 0 and "1" in replay.stdout
    # Still broken, so parked again: the point is that it went back to its queue and returned.
    assert eventually_cli(listed)
    usage = signed_in_stack.cli("dead-letters", "replay")
    assert usage.returncode == 2 and "--event-id" in usage.stderr


def test_a_replay_from_the_outbox_is_applied_once(signed_in_stack, sample):
    for _ in range(3):
        result = signed_in_stack.cli(
            "labourer",
            "register",
            "--name",
            sample.name(),
            "--id-number",
            sample.id_number(),
            "--village",
            sample.village_code(),
        )
        assert result.returncode == 0, result.stderr
    wait_for_metric(signed_in_stack, "dispatch", "sanbao_dispatch_candidates", 3.0)
    replay = signed_in_stack.cli("events", "replay", "--to", "dispatch.handle_labourer_registered")
    assert replay.returncode == 0, replay.stderr
    assert "3" in replay.stdout
    duplicates = (
        'sanbao_dispatch_event_handler_messages_total{handler="handle_labourer_registered",'
        'outcome="duplicate"}'
    )
    wait_for_metric(signed_in_stack, "dispatch", duplicates, 3.0)
    assert signed_in_stack.metric("dispatch", "sanbao_dispatch_candidates") == 3.0


def eventually_cli(check, within=30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError("the CLI never showed what was expected")


def test_an_hr_company_certifies_its_signatory_with_its_own_seal(signed_in_stack, tmp_path):
    stack = signed_in_stack
    stack.env["SANBAO_KEY_PASSPHRASE"] = "the seal's passphrase"

    def ok(*args, stdin=None):
        result = stack.cli(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def value(text, label):
        return next(
            line.split("│")[2].strip()
            for line in text.splitlines()
            if line.startswith("│") and line.split("│")[1].strip() == label
        )

    hr = value(
        ok(
            "org",
            "register",
            "--kind",
            "hr_company",
            "--name",
            "红河人力资源有限公司",
            "--credit-code",
            "91532501MA6K2XQ93P",
        ),
        "org_id",
    )
    person = ok(
        "user",
        "create",
        "--username",
        "wang.hr",
        "--name",
        "王建国",
        "--org",
        hr,
        "--role",
        "hr_operator",
    )
    user_id = value(person, "user_id")
    # The HR company's own person submits its seal; the finance bureau's registrar confirms it.
    stack.person("zhou.hr", hr, "hr_operator", name="周明")
    seal = stack.ok_as(
        "zhou.hr", "seal", "new", "--org", hr, "--out", str(tmp_path / "hr-seal.pem")
    )
    assert len(value(seal, "fingerprint").split("-")) == 16  # pasteable: no spaces
    assert oct((tmp_path / "hr-seal.pem").stat().st_mode & 0o777) == "0o600"
    assert value(seal, "status") == "pending"
    stack.confirm_seal(value(seal, "fingerprint"), "个旧财金备〔2026〕7号")
    assert "nothing to redo" in ok("seal", "audit")
    personal = ok("keys", "new", "--out", str(tmp_path / "wang.pem"))
    public_key = value(personal, "public key")
    enrolled = ok(
        "seal",
        "certify",
        "--seal",
        str(tmp_path / "hr-seal.pem"),
        "--org",
        hr,
        "--user",
        user_id,
        "--public-key",
        public_key,
        "--limit",
        "50,000.00",
    )
    assert value(enrolled, "limit (yuan)") == "50,000.00"
    listed = ok("keys", "list", "--org", hr)
    assert user_id in listed
    # A wrong passphrase does not open the seal: one line, a code, no traceback.
    stack.env["SANBAO_KEY_PASSPHRASE"] = "not it"
    refused = stack.cli(
        "seal",
        "certify",
        "--seal",
        str(tmp_path / "hr-seal.pem"),
        "--org",
        hr,
        "--user",
        user_id,
        "--public-key",
        public_key,
    )
    assert refused.returncode == 1 and refused.stderr.startswith("error [KEY_UNREADABLE] ")
