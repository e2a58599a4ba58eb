"""The `usergraph` command line: assembles the commands of this package's modules, reports failures on
one line. serve.py (serve, migrate), users.py (create-admin), schema.py (export-schema), maintenance.py
(purge-sessions, seed), two_factor.py (rotate-secret-key)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from api.cli import maintenance, schema, serve, users
from api.cli import two_factor as two_factor_commands
from api.cli import mail
from api.cli.errors import CommandError, first_line
from api.settings import Settings, get_settings
from db.url import DatabaseURLError

__all__ = ["CommandError", "build_parser", "main"]

log = logging.getLogger("usergraph")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usergraph", description="GraphQL user-management API.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, users, schema, maintenance, two_factor_commands, mail):
        module.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from api.logging import configure_logging

    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    handler: Callable[[argparse.Namespace, Settings], None] = args.handler
    try:
        handler(args, settings)
    except (CommandError, DatabaseURLError) as error:
        print(f"usergraph {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - scripts rely on one line; LOG_LEVEL=DEBUG logs the traceback
        log.debug("usergraph %s failed", args.command, exc_info=True)
        print(f"usergraph {args.command}: {type(error).__name__}: {first_line(error)}", file=sys.stderr)
        return 1
    return 0
