"""`usergraph export-schema`: the GraphQL SDL the code serves, for the committed schema.graphql."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.errors import CommandError
from api.settings import Settings


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(sdl)
    else:
        try:
            Path(args.output).write_text(sdl)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
        print(f"wrote {args.output}", file=sys.stderr)


def add_commands(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.set_defaults(handler=cmd_export_schema)
