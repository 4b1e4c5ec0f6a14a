"""The attacker's leak scan (issue 11): a township's roster of a few hundred people goes through
the running stack, a few of them are changed, an HR company's operator and an auditor look at
them; then everything a role that sees masked forms, or whoever reads the servers, could get is
scanned: every event published, every log line, every metric, the masked replies and exports,
and every column of every service's database except the sealed ones. Nothing may be, or fit with
the rest of its record into, a person's ID number, phone or birth date (tests/reidentify.py)."""

import csv
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import MetaData, create_engine, select

from messaging_helpers import drain
from reidentify import People, Scanner
from sanbao_cli.client import CliError, StackClient
from sanbao_common.messaging.admin import connect
from sanbao_common.messaging.topology import events_exchange
from sanbao_common.privacy import mask_id_number, mask_phone
from sanbao_common.sample_data import SampleData
from sanbao_common.sample_rosters import generate_roster_rows, roster_bytes
from testkit import SERVICES, TEST_COUNTY, eventually

pytestmark = pytest.mark.e2e

PEOPLE = 264  # the roster's rows, a few of them refused
SEED = 1111
EVENTS_QUEUE = "leak-scan.events"
PERSON_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The only columns not scanned: each holds ciphertext or a keyed hash of the data key.
SEALED = {
    ("registry", "labourers", "id_sealed"),  # AES-GCM under the county's data key
    ("registry", "labourers", "phone_sealed"),  # the same
    ("registry", "labourers", "id_hash"),  # HMAC under the data key, for look-ups
}


def shown(text: str, label: str) -> str:
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 2 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"{label} not shown in:\n{text}")


def hold_events(admin_uri: str) -> None:
    """A queue of our own that copies every event of every service from now on."""
    connection = connect(admin_uri)
    try:
        channel = connection.channel()
        channel.queue_declare(EVENTS_QUEUE, durable=False, auto_delete=False)
        for service in SERVICES:
            channel.queue_bind(EVENTS_QUEUE, events_exchange(service), "#")
    finally:
        connection.close()


def rpc(stack, username: str | None, service: str, method: str, *args):
    """A call as `username` (their kept token), with the raw reply: what a script of theirs
    would get, every field of it."""
    home = Path(stack.homes[username][0] if username else stack.env["XDG_CONFIG_HOME"])
    token = (home / "sanbao" / TEST_COUNTY / "token").read_text().strip()
    with StackClient(TEST_COUNTY, stack.amqp_uri, 30, token) as client:
        return client.call(service, method, *args)


def search_all(stack, username: str | None) -> list[dict]:
    found, after = [], None
    while True:
        page = rpc(stack, username, "registry", "search_labourers", {}, after, 1000)
        found += page["labourers"]
        after = page["next"]
        if after is None:
            return found


def xlsx_records(path: Path) -> list[dict]:
    """Every row of every sheet, keyed by the header row (every cell is read)."""
    records = []
    for sheet in load_workbook(path, read_only=True).worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows:
            header = [str(cell) for cell in rows[0]]
            records += [dict(zip(header, row, strict=False)) for row in rows[1:]]
    return records


def database_rows(service: str, url: str):
    """(table, row) for every row of every table, the sealed columns left out."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for key in {(s, t, c) for s, t, c in SEALED if (s, t) == (service, table.name)}:
                    assert key[2] in table.c, f"{key} is no longer a column: update SEALED"
                for row in connection.execute(select(table)).mappings():
                    yield (
                        table.name,
                        {
                            column: value
                            for column, value in row.items()
                            if (service, table.name, column) not in SEALED
                        },
                    )
    finally:
        engine.dispose()


def report(found) -> str:
    """Each kind of finding in each place, how many, and the first of each."""
    places = Counter()
    first = {}
    for finding in found:
        place = (finding.kind, re.sub(r"\[\d+\]|:\d+$", "[*]", finding.where))
        places[place] += 1
        first.setdefault(place, finding)
    lines = [f"{len(found)} findings:"]
    for place, count in places.most_common():
        lines.append(f"  {count:5d} x {first[place]}")
    return "\n".join(lines)


def test_nothing_gives_a_person_away(signed_in_stack, tmp_path):
    stack = signed_in_stack

    def ok(*args, user=None, stdin=None):
        return stack.ok_as(user, *args, stdin=stdin)

    hold_events(stack.admin_uri)

    # -- the workload ----------------------------------------------------------------------------
    rows = generate_roster_rows(PEOPLE, seed=SEED, bad_fraction=0.03)
    one_by_one = rows.pop()  # registered with `labourer register` instead
    roster = tmp_path / "新街镇花名册.xlsx"
    roster.write_bytes(roster_bytes(rows, "xlsx", title="新街镇农村劳动力花名册"))
    imported = ok("roster", "import", str(roster))
    assert shown(imported, "status") == "done"
    ok("labourer", "register", "--name", one_by_one["name"], "--id-number",
       one_by_one["id_number"], "--village", one_by_one["village_code"],
       *(["--phone", one_by_one["phone"]] if one_by_one.get("phone") else []))  # fmt: skip
    registered = [row for row in rows if not row.get("_bad")] + [one_by_one]
    by_id = {row["id_number"].upper(): row for row in registered}

    everyone = search_all(stack, None)  # the county admin's view: full numbers
    assert len(everyone) == len(registered)
    person_of = {p["id_number"]: p["person_id"] for p in everyone}
    new_phones = SampleData(SEED + 1)
    changed = []
    for number in sorted(person_of)[:6]:
        phone = new_phones.phone()
        ok("labourer", "update", person_of[number], "--set", f"phone={phone}",
           "--set", "employment_status=省外务工",
           "--set", "employment_place=广东省东莞市")  # fmt: skip
        changed.append({**by_id[number], "phone": phone})
    ok("labourer", "update", person_of[sorted(person_of)[6]], "--set", "phone=")
    ok("labourer", "confirm", person_of[sorted(person_of)[7]])
    kept, merged = sorted(person_of)[8:10]
    ok("labourer", "merge", person_of[kept], person_of[merged],
       "--reason", "同一人在两个村重复登记")  # fmt: skip
    active = {number for number in by_id if number != merged}  # what searches and exports list
    eventually(  # everyone in dispatch's pool, the merged record as a tombstone
        lambda: shown(ok("candidates", "count"), "candidates") == str(len(registered) - 1),
        within=30,
        interval=0.5,
    )

    # -- what roles that see masked forms see ------------------------------------------------
    hr = shown(ok("org", "register", "--kind", "hr_company", "--name", "红河人力资源有限公司",
                  "--credit-code", "91532501MA6K2XQ93P"), "org_id")  # fmt: skip
    stack.person("zhou.hr", hr, "hr_operator", name="周明")
    bureau = shown(ok("org", "register", "--kind", "audit_bureau", "--name", "个旧市审计局",
                      "--code", TEST_COUNTY), "org_id")  # fmt: skip
    stack.person("zhao.audit", bureau, "auditor", name="赵敏")
    # The auditor's recorded look at one person's numbers: the disclosure kept must hold none.
    ok("labourer", "disclose", person_of[sorted(person_of)[0]], "--reason", "核查培训补贴对象身份",
       user="zhao.audit")  # fmt: skip

    seen: list[tuple[str, object]] = []  # (where, what)
    for user in ("zhou.hr", "zhao.audit"):
        replies = search_all(stack, user)
        assert len(replies) == len(active)
        assert {p["id_number_masked"] for p in replies} == {mask_id_number(n) for n in active}
        assert not any("id_number" in p or "phone" in p for p in replies)
        seen.append((f"{user} search_labourers", replies))
        for person_id in [person_of[number] for number in sorted(person_of)[:8]]:
            seen.append((f"{user} get_labourer", rpc(stack, user, "registry", "get_labourer",
                                                    person_id)))  # fmt: skip
            seen.append((f"{user} labourer_history",
                         rpc(stack, user, "registry", "labourer_history", person_id)))  # fmt: skip
        for person_id in [person_of[number] for number in sorted(person_of)[:2]]:
            seen.append((f"{user} `labourer show`", ok("labourer", "show", person_id, user=user)))
            seen.append(
                (f"{user} `labourer history`", ok("labourer", "history", person_id, user=user))
            )
        # Asking again over time: an exact-age check on each day would find the birthday.
        for day in ("2026-12-01", "2026-12-02"):
            with pytest.raises(CliError) as refused:
                rpc(stack, user, "registry", "check_age", person_of[sorted(person_of)[0]], day, 36)
            assert refused.value.code == "FORBIDDEN"
        seen.append((f"{user} `labourer search`", ok("labourer", "search", "--all", user=user)))
        seen.append((f"{user} `candidates count`", ok("candidates", "count", user=user)))
        for fmt in ("csv", "xlsx"):
            out = tmp_path / f"{user}.{fmt}"
            ok("roster", "export", "--format", fmt, "-o", str(out), user=user)
            if fmt == "csv":
                records = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
            else:
                records = xlsx_records(out)
            assert len(records) == len(active)
            assert {r["身份证号"] for r in records} == {mask_id_number(n) for n in active}
            assert {r["联系电话"] for r in records if r["联系电话"]} <= {
                mask_phone(row["phone"]) for row in registered + changed if row.get("phone")
            }
            seen.append((f"{user} export.{fmt}", records))

    # -- what the servers hold -------------------------------------------------------------------
    events = [json.loads(message.body) for message in drain(stack.admin_uri, EVENTS_QUEUE)]
    types = {e["type"] for e in events}
    assert {"labourer_registered", "labourer_updated", "labourer_merged"} <= types, types
    seen += [(f"event {e['type']}", e) for e in events]
    for service in SERVICES:
        seen += [
            (f"{service}.log:{number}", line)
            for number, line in enumerate(stack.log(service).splitlines(), 1)
        ]
        seen.append(
            (f"{service} /metrics", requests.get(stack.url(service, "/metrics"), timeout=5).text)
        )
    tables: dict[str, list[dict]] = defaultdict(list)
    for service in SERVICES:
        for table, row in database_rows(service, stack.env[f"{service.upper()}_DATABASE_URL"]):
            tables[f"{service}.{table}"].append(row)
            seen.append((f"{service} db {table}[{len(tables[f'{service}.{table}'])}]", row))
    pool = tables["dispatch.candidates"]
    assert len(pool) == len(registered)  # the merged record a tombstone with the kept's data
    assert {row["id_number_masked"] for row in pool} == {mask_id_number(n) for n in active}
    assert tables["registry.outbox"] and tables["registry.people_history"]

    scanner = Scanner(People(rows + [one_by_one] + changed))
    found = [finding for where, what in seen for finding in scanner.scan(what, where)]
    assert not found, report(found)
    # The uploaded file (every number in full) is dropped once its import has finished.
    assert [bytes(row["content"]) for row in tables["registry.roster_imports"]] == [b""]
