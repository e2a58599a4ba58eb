"""The one failure every command reports the same way: a single line on stderr and exit code 1."""


class CommandError(Exception):
    """A failure to report on one line, with exit code 1."""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (drivers add SQL and hints below it), or its type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
