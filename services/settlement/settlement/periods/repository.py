"""Storage of periods, their lines, statements and disputes inside a unit of work's connection.

A run replaces the open period's lines: deleted, then inserted in chunks of plain rows (one
`executemany` per chunk), so a month of a hundred thousand placements is written in seconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from settlement.adapters.period_tables import disputes, periods, settlement_lines, statements
from settlement.domain.assembly import Settled
from settlement.domain.periods import period_of
from settlement.periods.errors import StatementNotFound

CHUNK = 5000
# Each column's array type, lengths left out: an explicit cast to varchar(n) would cut a longer
# text short, where the insert into the column refuses it.
_PG_TYPES = {
    column.name: column.type.compile(dialect=postgresql.dialect()).split("(")[0]
    for column in settlement_lines.columns
}
OPEN, CLOSED = "open", "closed"
# PostgreSQL advisory lock key (settlement's own database): runs and closes one at a time.
_PERIODS_LOCK = 0x5345_5454_4C45  # "SETTLE"


def aware(data: dict) -> dict:
    """A row's values, its times in UTC (SQLite gives them back without their offset)."""
    for name, value in data.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            data[name] = value.replace(tzinfo=UTC)
    return data


class PeriodRepository:
    def __init__(self, connection: Connection):
        self.connection = connection

    def lock(self) -> None:
        """Runs and closes one at a time, to the transaction's end (as dispatch's agreements):
        a run racing a close would otherwise write over a period just closed. SQLite's one
        writer serialises them already."""
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PERIODS_LOCK}
            )

    # -- periods -------------------------------------------------------------------------------

    def get(self, period: str) -> dict | None:
        row = self.connection.execute(select(periods).where(periods.c.period == period)).first()
        if row is None:
            return None
        data = aware(dict(row._mapping))
        data["pending"], data["deferred"] = (
            json.loads(data["pending"]),
            json.loads(data["deferred"]),
        )
        return data

    def all(self) -> list[dict]:
        query = select(periods).order_by(periods.c.period)
        return [aware(dict(row._mapping)) for row in self.connection.execute(query)]

    def last_closed(self) -> str | None:
        return self.connection.execute(
            select(func.max(periods.c.period)).where(periods.c.status == CLOSED)
        ).scalar()

    def earliest_run(self) -> str | None:
        return self.connection.execute(select(func.min(periods.c.period))).scalar()

    def save(self, period: str, values: dict) -> None:
        """The period's row written (created on its first run)."""
        values = dict(values)
        for name in ("pending", "deferred"):
            if name in values:
                values[name] = json.dumps(values[name], ensure_ascii=False, sort_keys=True)
        changed = self.connection.execute(
            update(periods).where(periods.c.period == period).values(**values)
        ).rowcount
        if changed == 0:
            self.connection.execute(insert(periods).values(period=period, **values))

    # -- lines ---------------------------------------------------------------------------------

    def replace_lines(self, period: str, lines: list[dict]) -> None:
        """The period's lines replaced: plain tuples, in key order (the primary key's index
        grows at its end), straight to the driver — SQLite's executemany (dates as ISO text, as
        SQLAlchemy stores them), psycopg2's `execute_values` — a fifth of what building each
        row's parameters through SQLAlchemy costs."""
        self.connection.execute(delete(settlement_lines).where(settlement_lines.c.period == period))
        names = [column.name for column in settlement_lines.columns]
        sqlite = self.connection.dialect.name == "sqlite"
        due = names.index("due_on")
        ordered = sorted(lines, key=lambda line: line["line_id"])
        cursor = self.connection.connection.cursor()
        try:
            for start in range(0, len(ordered), CHUNK):
                rows = []
                for line in ordered[start : start + CHUNK]:
                    row = [line[name] for name in names]
                    if sqlite and row[due] is not None:
                        row[due] = row[due].isoformat()
                    rows.append(tuple(row))
                self._insert(cursor, names, rows, sqlite)
        finally:
            cursor.close()

    @staticmethod
    def _insert(cursor, names: list[str], rows: list[tuple], sqlite: bool) -> None:
        columns = ", ".join(names)
        if sqlite:
            marks = ", ".join("?" for _ in names)
            cursor.executemany(f"INSERT INTO settlement_lines ({columns}) VALUES ({marks})", rows)
        else:  # one statement per chunk: each column as one array (COPY needs a blocking driver)
            arrays = ", ".join(f"%s::{_PG_TYPES[name]}[]" for name in names)
            cursor.execute(
                f"INSERT INTO settlement_lines ({columns}) SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*rows, strict=True)],
            )

    def _raw(self, sql: str, params: tuple) -> list[tuple]:
        """Plain tuples straight from the driver, inside this unit of work's transaction: what
        reading hundreds of thousands of settled lines needs (no row objects). `?` marks a
        parameter."""
        if self.connection.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()

    def settled(self, last_closed: str | None) -> tuple[list[Settled], dict]:
        """What closed periods (up to `last_closed`) settled, per item and party, and each
        one's payee: that of its latest period's line (`period|payee` is greatest for the latest
        period, the period being of fixed width)."""
        if last_closed is None:
            return [], {}
        rows = self._raw(
            "SELECT item_key, party, kind, placement_id, counterparty_id, agreement_id, "
            "SUM(amount_fen), MIN(due_on), MIN(period), MAX(period || '|' || payee_id) "
            "FROM settlement_lines "
            "WHERE period <= ? GROUP BY item_key, party, kind, placement_id, counterparty_id, "
            "agreement_id",
            (last_closed,),
        )
        settled, payees = [], {}
        for key, party, kind, placement, counterparty, agreement, total, due, first, payee in rows:
            if due is None:
                due_period = first
            else:
                due_period = due[:7] if isinstance(due, str) else period_of(due)
            settled.append(
                Settled(
                    key, party, int(total), kind, placement, counterparty, agreement, due_period
                )  # fmt: skip
            )
            payees[(key, party)] = payee.split("|", 1)[1]
        return settled, payees

    def waived_keys(self) -> set[str]:
        """The item keys of lines whose dispute was waived: frozen — neither computed again nor
        reversed (the HR company was never asked for them, so no one was paid them)."""
        rows = self._raw(
            "SELECT DISTINCT l.item_key FROM settlement_lines l JOIN disputes d "
            "ON d.statement_id = l.statement_id AND d.dispute_no = l.dispute_no "
            "WHERE d.state = ?",
            ("waived",),
        )
        return {row[0] for row in rows}

    def people(self, placement_ids) -> dict:
        """What closed periods' lines said of these placements' labourers."""
        c, people, ids = settlement_lines.c, {}, sorted(placement_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(
                c.placement_id, c.placement_version, c.person_id, c.name, c.id_number_masked,
                c.village_code, c.township_code, c.agent_id,
            ).where(c.placement_id.in_(chunk), c.person_id.is_not(None))  # fmt: skip
            for row in self.connection.execute(query):
                data = dict(row._mapping)
                people[data.pop("placement_id")] = data
        return people

    def lines(self, *conditions, order=True) -> list[dict]:
        query = select(settlement_lines).where(*conditions)
        if order:
            c = settlement_lines.c
            query = query.order_by(c.placement_id, c.kind, c.item_key, c.party)
        return [dict(row._mapping) for row in self.connection.execute(query)]

    def totals(self, *conditions, by=()) -> list[tuple]:
        """(*by, sum of amount_fen, lines) over the lines meeting `conditions`."""
        c = settlement_lines.c
        columns = [getattr(c, name) for name in by]
        query = (
            select(*columns, func.sum(c.amount_fen), func.count())
            .where(*conditions)
            .group_by(*columns)
            .order_by(*columns)
        )
        return [tuple(row) for row in self.connection.execute(query)]

    def mark_disputed(self, statement: str, placement_id: str, dispute_no: int) -> int:
        """The placement's lines on the statement: numbered with the dispute; their sum."""
        c = settlement_lines.c
        where = (c.statement_id == statement, c.placement_id == placement_id)
        self.connection.execute(
            update(settlement_lines).where(*where).values(dispute_no=dispute_no)
        )
        return int(
            self.connection.execute(select(func.sum(c.amount_fen)).where(*where)).scalar() or 0
        )

    # -- statements and disputes ---------------------------------------------------------------

    def add_statements(self, rows: list[dict]) -> None:
        if rows:
            self.connection.execute(insert(statements), rows)

    def statement(self, statement_id: str) -> dict | None:
        row = self.connection.execute(
            select(statements).where(statements.c.statement_id == statement_id)
        ).first()
        return None if row is None else aware(dict(row._mapping))

    def statements(self, *conditions) -> list[dict]:
        s = statements.c
        query = select(statements).where(*conditions).order_by(s.period, s.kind, s.agreement_id,
                                                                s.counterparty_id)  # fmt: skip
        return [aware(dict(row._mapping)) for row in self.connection.execute(query)]

    def update_statement(self, statement_id: str, only_if: dict | None = None, **values) -> bool:
        s = statements.c
        conditions = [s.statement_id == statement_id]
        conditions += [getattr(s, name) == value for name, value in (only_if or {}).items()]
        return (
            self.connection.execute(update(statements).where(*conditions).values(**values)).rowcount
            == 1
        )

    def add_disputes(self, rows: list[dict]) -> None:
        if rows:
            self.connection.execute(insert(disputes), rows)

    def disputes(self, statement_id: str) -> list[dict]:
        query = (
            select(disputes)
            .where(disputes.c.statement_id == statement_id)
            .order_by(disputes.c.dispute_no)
        )
        return [aware(dict(row._mapping)) for row in self.connection.execute(query)]

    def dispute(self, statement_id: str, dispute_no: int) -> dict | None:
        row = self.connection.execute(
            select(disputes).where(
                disputes.c.statement_id == statement_id, disputes.c.dispute_no == dispute_no
            )
        ).first()
        return None if row is None else aware(dict(row._mapping))

    def update_dispute(self, statement_id: str, dispute_no: int, only_if=None, **values) -> bool:
        d = disputes.c
        conditions = [d.statement_id == statement_id, d.dispute_no == dispute_no]
        conditions += [getattr(d, name) == value for name, value in (only_if or {}).items()]
        return (
            self.connection.execute(update(disputes).where(*conditions).values(**values)).rowcount
            == 1
        )


def found_statement(repo: PeriodRepository, statement_id: str) -> dict:
    statement = repo.statement(statement_id)
    if statement is None:
        raise StatementNotFound(statement_id=statement_id)
    return statement
