"""`sanbao order match ORDER [--explain]`: the best candidates for a job order, registered-poor
first, then by fit score; with `--explain`, each score's factors, weights, points and reasons.
Attached to the `order` group by `sanbao_cli.commands.orders`."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.session import Session

COLUMNS = ["#", "name", "ID number", "village", "poor", "score", "agent"]
FACTOR_COLUMNS = ["#", "name", "poor", "score", "factor", "weight", "points", "why"]


def _heading(found: dict) -> str:
    area = f", of area {found['area']}" if found.get("area") else ""
    return (
        f"order {found['order_id']}: {len(found['candidates'])} of {found['eligible']} eligible"
        f"{area} (up to {found['wanted']}: 3 x {found['head_count']} wanted)"
    )


def _rows(found: dict) -> list[list]:
    return [
        [rank, c["name"], c["id_number_masked"], c["village_code"], c["poor"], c["score"],
         c["agent_id"]]
        for rank, c in enumerate(found["candidates"], start=1)
    ]  # fmt: skip


def _factor_rows(found: dict) -> list[list]:
    """One row per factor; a candidate's first row names them, and the points add up to the
    score shown there."""
    rows = []
    for rank, c in enumerate(found["candidates"], start=1):
        for n, f in enumerate(c["factors"]):
            who = [rank, c["name"], c["poor"], c["score"]] if n == 0 else ["", "", "", ""]
            rows.append(
                [*who, f["factor"], f["weight"], f["points"], f"{f['why_zh']}（{f['why']}）"]
            )
    return rows


@click.command()
@click.argument("order_id")
@click.option(
    "--explain", is_flag=True, help="Show each factor of each score: weight, points, why."
)
@output.JSON_OPTION
@click.pass_obj
def order_match(session: Session, order_id, explain, as_json):
    """The best 3 x head count candidates for an open job order: registered-poor labourers
    first, then by how well they fit (place, industry, skills, age, training, wage, start),
    then by person id. ID numbers are shown masked."""
    found = session.stack.call("dispatch", "match_order", order_id, explain)

    def table():
        if explain:
            output.rows(_heading(found), FACTOR_COLUMNS, _factor_rows(found))
        else:
            output.rows(_heading(found), COLUMNS, _rows(found))

    output.emit(found, as_json, table)
