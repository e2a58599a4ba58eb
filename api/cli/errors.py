"""The one failure every command reports the same way: a single line on stderr and exit code 1."""

import re

# SQLite's and PostgreSQL's words for a table that is not there (not for a database that is not).
_MISSING_TABLE = re.compile(r"no such table|relation \S+ does not exist")


class CommandError(Exception):
    """A failure to report on one line, with exit code 1."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (drivers add SQL and hints below it), or its type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def database_failure(outcome: str, error: BaseException) -> CommandError:
    """`outcome: reason`, with what to do when the tables are missing (a database never migrated)."""
    reason = first_line(error)
    if _MISSING_TABLE.search(reason):
        reason += " (run `usergraph migrate` first)"
    return CommandError(f"{outcome}: {reason}")
