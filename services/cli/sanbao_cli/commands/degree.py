"""`sanbao degree [--as-of DATE] [--by county|township|village]`: the degree of organisation
(组织化程度) dispatch reports — of the people working away from home (州内, 省内, 省外), organised
or self-arranged as the four clears record it, the share with an active organised placement;
organised placements in the county beside it; overall and for registered-poor labourers; and
the stability of organised placements at 3 and 6 months (docs/organisation-degree.md)."""

from __future__ import annotations

import click

from sanbao_cli import output
from sanbao_cli.commands.batches import DATE, day
from sanbao_cli.output import JSON_OPTION
from sanbao_cli.session import Session

LEVELS = ["county", "township", "village"]
COLUMNS = ["area", "labourers", "away", "organised away", "self-arranged away", "degree",
           "organised in county", "poor away", "poor organised away", "poor degree",
           "stable at 3 months", "stable at 6 months"]  # fmt: skip


def share(percent: str | None) -> str:
    """A percentage dispatch computed (two decimals, as text); nobody to divide by: a dash."""
    return "-" if percent is None else f"{percent}%"


def _stable(area: dict, months: int) -> str:
    found = next((s for s in area["stability"] if s["months"] == months), None)
    if found is None or not found["placements"]:
        return "-"
    return f"{found['employed']}/{found['placements']} ({share(found['share_percent'])})"


def area_row(area: dict, label: str | None = None) -> list:
    overall, poor = area["overall"], area["poor"]
    return [
        label or area["code"], overall["labourers"], overall["away"], overall["organised_away"],
        overall["self_arranged_away"], share(overall["degree_percent"]),
        overall["organised_in_county"], poor["away"], poor["organised_away"],
        share(poor["degree_percent"]), _stable(area, 3), _stable(area, 6),
    ]  # fmt: skip


@click.command("degree")
@click.option("--as-of", "as_of", type=DATE, help="The day (YYYY-MM-DD; default: today).")
@click.option("--by", type=click.Choice(LEVELS), default="county", show_default=True)
@JSON_OPTION
@click.pass_obj
def degree(session: Session, as_of, by, as_json):
    """The degree of organisation as of a day, by county, township or village."""
    found = session.stack.call("dispatch", "organisation_degree", day(as_of), by)

    def table():
        values = [area_row(area) for area in found["areas"]]
        if by != "county":
            values.append(area_row(found["total"], f"county {found['county']} (total)"))
        output.rows(
            f"degree of organisation (组织化程度) as of {found['as_of']}, by {found['by']}: "
            "organised away / away from home",
            COLUMNS,
            values,
        )

    output.emit(found, as_json, table)


COMMANDS = (degree,)
