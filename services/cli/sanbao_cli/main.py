"""`sanbao`: operate a running county stack from the command line. The root group and its
options; the commands themselves are in `sanbao_cli.commands`, one module per group."""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape

from sanbao_cli import output
from sanbao_cli.client import CliError
from sanbao_cli.commands import (
    account,
    agreements,
    batches,
    bus,
    degree,
    directory,
    fund,
    labourers,
    orders,
    placements,
    rosters,
    seals,
    settlement,
    stack,
)
from sanbao_cli.params import COUNTY
from sanbao_cli.session import Session

COMMAND_MODULES = (
    account, stack, bus, directory, seals, labourers, rosters, fund, agreements, orders,
    batches, placements, degree, settlement,
)  # fmt: skip


class SanbaoGroup(click.Group):
    """Turns every failure into one line with an error code; a traceback only with SANBAO_DEBUG."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CliError as exc:
            output.error(exc.code, escape(exc.message))
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("SANBAO_DEBUG"):
                raise
            output.error(
                "INTERNAL",
                escape(f"{type(exc).__name__}: {exc} (run with SANBAO_DEBUG=1 for the traceback)"),
            )
            sys.exit(70)


@click.group(cls=SanbaoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--county",
    type=COUNTY,
    envvar="COUNTY",
    default="532501",
    show_default=True,
    help="The county whose stack to talk to (env COUNTY).",
)
@click.option(
    "--amqp-uri",
    envvar="SANBAO_AMQP_URI",
    metavar="URI",
    help="The county's broker as the CLI's own user (env SANBAO_AMQP_URI; default: the "
    "user make run provisioned, from SANBAO_VAR_DIR/<county>/secrets/broker.json; never the "
    "broker's administrator).",
)
@click.option(
    "--admin-uri",
    envvar="SANBAO_ADMIN_AMQP_URI",
    metavar="URI",
    help="The county's admin broker credentials, for topology and dead letters (env "
    "SANBAO_ADMIN_AMQP_URI; no default: only those commands use it).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=10,
    show_default=True,
    envvar="SANBAO_TIMEOUT",
    help="Seconds to wait for each answer.",
)
@click.pass_context
def cli(ctx, county, amqp_uri, admin_uri, timeout):
    """Operate a sanbao county stack: register people, follow the candidate pool, look after the
    message bus, check health."""
    session = Session(county, amqp_uri, admin_uri, timeout)
    ctx.call_on_close(session.close)
    ctx.obj = session


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)
