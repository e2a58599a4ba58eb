"""The rule behind the `slow` marker (applied in tests/conftest.py): a test is slow when it, one of the
test suite's helpers it calls, or one of its fixtures starts a process (the real server, PgBouncer, the
CLI, npm or node), or when it runs a longer Hypothesis search than the default."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Iterator

# Names whose use starts a process; `subprocess.<anything>` counts as well.
PROCESS_STARTERS = frozenset({
    "running_server", "running_pgbouncer", "usergraph_command", "Popen", "create_subprocess_exec",
    "create_subprocess_shell",
})
DEFAULT_MAX_EXAMPLES = 100  # Hypothesis's own default


def is_slow(test: Callable, fixtures: Iterable[Callable] = ()) -> bool:
    seen: set[types.CodeType] = set()
    return is_long_search(test) or any(starts_processes(function, seen) for function in [test, *fixtures])


def is_long_search(test: Callable) -> bool:
    settings = getattr(test, "_hypothesis_internal_use_settings", None)
    return settings is not None and settings.max_examples > DEFAULT_MAX_EXAMPLES


def starts_processes(function: Callable, seen: set[types.CodeType] | None = None) -> bool:
    """Whether `function`, or a function of the test suite (`tests.*`) it names, starts a process."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    namespace = function.__globals__
    for part in _code_objects(code):
        names = set(part.co_names)
        if names & PROCESS_STARTERS or ("subprocess" in names and _is_subprocess_module(namespace.get("subprocess"))):
            return True
        for name in names:
            helper = namespace.get(name)
            if (
                callable(helper)
                and (getattr(helper, "__module__", None) or "").startswith("tests.")  # None on some built types
                and starts_processes(helper, seen)
            ):
                return True
    return False


def _is_subprocess_module(value: object) -> bool:
    # By name, not by importing it: this module must not itself look like a test that starts processes.
    return isinstance(value, types.ModuleType) and value.__name__ == "subprocess"


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """A function's code and the code of everything defined inside it (closures, lambdas, comprehensions)."""
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_objects(constant)
