"""`sanbao roster` against a stand-in for the stack: the import's options reach registry as
given, a dry run is shown and nothing is followed, the summary the CLI prints counts what
registry counted (never valid rows as applied ones), conflicts are listed, confirmed and
rejected, and every command that prints a record or a table prints JSON with --json."""

import base64
import json

import pytest
from click.testing import CliRunner

from testkit import TEST_COUNTY


class FakeStack:
    """Canned answers per method (a list: one answer per call, the last repeated); every call
    recorded."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[tuple] = []

    def call(self, service, method, *args, **kwargs):
        self.calls.append((method, args, kwargs))
        answer = self.answers[(service, method)]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        return answer(*args) if callable(answer) else answer

    def sent(self, method: str) -> tuple:
        found = [(args, kwargs) for m, args, kwargs in self.calls if m == method]
        assert len(found) == 1, self.calls
        return found[0]


@pytest.fixture
def run(monkeypatch, tmp_path):
    from sanbao_cli.client import StackClient
    from sanbao_cli.commands import roster_views
    from sanbao_cli.main import cli

    monkeypatch.setattr(roster_views, "POLL_SECONDS", 0)

    def invoke(stack: FakeStack, *args):
        monkeypatch.setattr(StackClient, "call", lambda self, *a, **k: stack.call(*a, **k))
        env = {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "SANBAO_TOKEN": "",
            "SANBAO_AMQP_URI": "amqp://cli:secret@127.0.0.1:1/x",
            "COUNTY": TEST_COUNTY,
        }
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "花名册.csv"
    path.write_text("姓名,身份证号,村代码\n李秀英,532501199003150013,532501001201\n")
    return path


def status(**fields) -> dict:
    base = {
        "import_id": "imp-1", "filename": "花名册.csv", "status": "done", "township": None,
        "total_rows": 226, "validated_rows": 226, "valid_rows": 201, "applied_rows": 201,
        "registered": 150, "updated": 20, "confirmed": 13, "refused_validating": 25,
        "refused_applying": 16, "held_conflicts": 2, "refused_rows": 41,
        "ignored_columns": [{"sheet": "一组", "header": "备用", "looks_like": None}],
        "ignored_sheets": [{"sheet": "说明", "reason": "没有表头 / no header"}],
        "failure": None, "started_at": "2026-11-02T01:00:00+00:00",
        "finished_at": "2026-11-02T01:02:00+00:00", "started_by": "user:li.kf",
        "scope": "532501001",
    }  # fmt: skip
    return base | fields


def importing(*statuses) -> FakeStack:
    report = base64.b64encode(b"errors").decode()
    return FakeStack(
        {
            ("registry", "upload_roster_part"): lambda *a: {"part": a[1]},
            ("registry", "start_roster_import"): statuses[0],
            ("registry", "roster_import_status"): list(statuses[1:]) or [statuses[0]],
            ("registry", "roster_import_errors"): {"rows": 43, "content_base64": report},
        }
    )


def test_an_import_says_what_registry_counted_not_valid_rows_as_applied(run, roster):
    stack = importing(
        status(status="validating", validated_rows=0, applied_rows=0, valid_rows=0),
        status(status="validating", validated_rows=100, applied_rows=0, valid_rows=0),
        status(status="applying", applied_rows=100),
        status(),
    )
    result = run(stack, "roster", "import", str(roster), "--township", "卡房镇",
                 "--ignore-column", "低保情况", "--ignore-column", "是否 低保")  # fmt: skip
    assert result.exit_code == 0, result.output
    args, kwargs = stack.sent("start_roster_import")
    assert kwargs["ignore_columns"] == ["低保情况", "是否 低保"]
    assert kwargs["township"] == "卡房镇" and "dry_run" not in kwargs
    assert "201 row(s) applied" not in result.output
    assert (
        "of 226 row(s), 150 were registered, 20 updated, 13 confirmed unchanged, 41 refused "
        "and 2 held for the county to confirm" in " ".join(result.output.split())
    )
    assert (roster.parent / "花名册.errors.xlsx").read_bytes() == b"errors"
    assert "{'" not in result.output and "['" not in result.output  # no Python reprs
    assert "一组: 备用" in result.output and "说明: 没有表头" in result.output


def test_a_dry_run_is_shown_and_nothing_is_followed(run, roster):
    tried = status(
        status="dry_run", dry_run=True, import_id=None, applied_rows=0,
        needs_ignore_column=[{"sheet": "一组", "header": "低保情况", "looks_like": "poverty"}],
        conflicts=[{"sheet": "二组", "row_number": 5}],
        errors=[{"sheet": "一组", "row_number": 6, "column": "id_number", "reason": "校验码错误"}],
        errors_total=1,
    )  # fmt: skip
    stack = importing(tried)
    result = run(stack, "roster", "import", str(roster), "--dry-run")
    assert result.exit_code == 0, result.output
    assert stack.sent("start_roster_import")[1]["dry_run"] is True
    assert not [
        m for m, _, _ in stack.calls if m in ("roster_import_status", "roster_import_errors")
    ]
    shown = " ".join(result.output.split())
    assert "nothing was written" in shown and "--ignore-column 低保情况" in shown
    assert "150 would be registered" in shown and "校验码错误" in shown

    as_json = run(importing(tried), "roster", "import", str(roster), "--dry-run", "--json")
    assert json.loads(as_json.stdout) == tried


def test_status_prints_json_for_scripts_and_a_table_for_people(run):
    stack = FakeStack({("registry", "roster_import_status"): status()})
    assert json.loads(run(stack, "roster", "status", "imp-1", "--json").stdout) == status()
    shown = run(stack, "roster", "status", "imp-1").output
    for label in ("refused while validating", "refused while applying", "held for the county"):
        assert label in shown


def conflict(**fields) -> dict:
    base = {
        "conflict_id": "c-1", "status": "held", "import_id": "imp-1", "filename": "花名册.xlsx",
        "sheet": "二组", "row_number": 5, "held_at": "2026-11-02T01:00:00+00:00",
        "held_by": "user:li.kf", "importer_area": "532501001", "resolved_at": None,
        "resolved_by": None, "person_id": "p-1", "id_number_masked": "532501***********3",
        "id_number": "532501199003150013",
        "stored": {"name": "李秀英", "village_code": "532501002205"},
        "row": {"name": "李秀英", "village_code": "532501001201"},
        "why": ["township", "outside_importer_area"], "changes": ["village_code"],
    }  # fmt: skip
    return base | fields


def test_conflicts_are_listed_confirmed_and_rejected(run):
    resolved = conflict(status="confirmed", outcome="updated", resolved_by="user:zhou",
                        resolved_at="2026-11-02T02:00:00+00:00")  # fmt: skip
    stack = FakeStack(
        {
            ("registry", "list_roster_conflicts"): [[conflict()]],  # one answer, a list
            ("registry", "resolve_roster_conflict"): resolved,
        }
    )
    listed = run(stack, "roster", "conflicts")
    assert listed.exit_code == 0, listed.output
    assert stack.calls[-1][:2] == ("list_roster_conflicts", ("held", 100))
    shown = " ".join(listed.output.split())
    assert "532501002205 → 532501001201" in shown and "another township" in shown
    assert json.loads(run(stack, "roster", "conflicts", "list", "--json").stdout) == [conflict()]
    run(stack, "roster", "conflicts", "list", "--status", "all")
    assert stack.calls[-1][:2] == ("list_roster_conflicts", (None, 100))

    confirmed = run(stack, "roster", "conflicts", "confirm", "c-1", "--idempotency-key",
                    "resolve-c-1")  # fmt: skip
    assert confirmed.exit_code == 0, confirmed.output
    method, args, kwargs = stack.calls[-1]
    assert (method, args, kwargs) == (
        "resolve_roster_conflict", ("c-1", "confirm"), {"idempotency_key": "resolve-c-1"},
    )  # fmt: skip
    assert "updated" in confirmed.output
    rejected = run(stack, "roster", "conflicts", "reject", "c-1", "--json")
    assert stack.calls[-1][1] == ("c-1", "reject") and json.loads(rejected.stdout) == resolved


@pytest.mark.parametrize(
    "args",
    [
        ["roster", "errors", "imp-1", "--json"],
        ["roster", "template", "--rows", "2", "--json"],
    ],
)
def test_the_other_roster_commands_print_json(run, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stack = FakeStack(
        {
            ("registry", "roster_import_status"): status(),
            ("registry", "roster_import_errors"): {"rows": 0, "content_base64": ""},
        }
    )
    result = run(stack, *args)
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), dict)


def test_a_dry_run_is_waited_for_longer_unless_a_timeout_is_given(monkeypatch, tmp_path, roster):
    """A dry run answers within the call, once every row is judged: the 10 s every other call
    waits would cut a county's roster short."""
    from sanbao_cli.client import StackClient
    from sanbao_cli.commands.rosters import DRY_RUN_TIMEOUT
    from sanbao_cli.main import cli

    tried = status(status="dry_run", dry_run=True, import_id=None, applied_rows=0,
                   needs_ignore_column=[], conflicts=[], errors=[], errors_total=0)  # fmt: skip
    waited = []

    def call(self, service, method, *args, **kwargs):
        waited.append((method, self.timeout))
        return importing(tried).call(service, method, *args, **kwargs)

    monkeypatch.setattr(StackClient, "call", call)
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "SANBAO_TOKEN": "",
           "SANBAO_AMQP_URI": "amqp://cli:secret@127.0.0.1:1/x", "COUNTY": TEST_COUNTY,
           "SANBAO_TIMEOUT": None}  # fmt: skip
    for timeout in (None, "30"):
        args = (["--timeout", timeout] if timeout else []) + ["roster", "import", str(roster)]
        result = CliRunner().invoke(cli, [*args, "--dry-run"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert waited == [
        ("upload_roster_part", 10), ("start_roster_import", DRY_RUN_TIMEOUT),
        ("upload_roster_part", 30), ("start_roster_import", 30),
    ]  # fmt: skip
    assert DRY_RUN_TIMEOUT >= 300


def test_a_repeated_decision_shows_what_was_kept_of_it(run):
    """A retry with the same key gets ids and status only: the row's names are gone."""
    kept = {"conflict_id": "c-1", "status": "confirmed", "import_id": "imp-1",
            "person_id": "p-1", "outcome": "updated", "resolved_at": "2026-11-02T02:00:00+00:00",
            "resolved_by": "user:zhou", "superseded": ["c-2"]}  # fmt: skip
    stack = FakeStack({("registry", "resolve_roster_conflict"): kept})
    shown = run(stack, "roster", "conflicts", "confirm", "c-1", "--idempotency-key", "resolve-c-1")
    assert shown.exit_code == 0, shown.output
    assert "c-2" in shown.output and "confirmed" in shown.output
    stale = conflict(changed_since_held=True)
    listed = run(FakeStack({("registry", "list_roster_conflicts"): [[stale]]}), "roster",
                 "conflicts")  # fmt: skip
    assert "the person changed since" in " ".join(listed.output.split())
    superseded = run(FakeStack({("registry", "list_roster_conflicts"): [[]]}), "roster",
                     "conflicts", "list", "--status", "superseded")  # fmt: skip
    assert superseded.exit_code == 0, superseded.output
