"""The `slow` rule (tests/support/slow.py) marks what starts a process or searches long, and nothing else,
so that `pytest -m "not slow"` stays quick without leaving out a fast test."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.slow import is_slow

# Sample tests, compiled apart so that the tests below do not themselves look like they start processes.
SAMPLES = """
import asyncio
import subprocess
import sys

from tests.support.server import running_server


def runs_a_subprocess():
    subprocess.run(["true"], check=True)


def starts_the_server(tmp_path):
    with running_server({}, tmp_path=tmp_path):
        pass


async def spawns_from_a_closure():
    async def inner():
        await asyncio.create_subprocess_exec("true")

    await inner()


def _helper_that_runs_the_cli():
    return subprocess.run([sys.executable, "-c", "pass"], check=True)


def calls_a_helper():
    _helper_that_runs_the_cli()


def _helper_that_only_computes():
    return sum(range(3))


def plain():
    _helper_that_only_computes()
"""


@pytest.fixture(scope="module")
def samples() -> dict:
    namespace = {"__name__": "tests.slow_marker_samples"}
    exec(compile(SAMPLES, "<slow marker samples>", "exec"), namespace)
    return namespace


def test_starting_a_process_directly_through_a_helper_or_a_fixture_is_slow(samples):
    assert is_slow(samples["runs_a_subprocess"])
    assert is_slow(samples["starts_the_server"])
    assert is_slow(samples["spawns_from_a_closure"])
    assert is_slow(samples["calls_a_helper"])
    assert is_slow(samples["plain"], fixtures=[samples["runs_a_subprocess"]])
    assert not is_slow(samples["plain"])
    assert not is_slow(samples["plain"], fixtures=[samples["_helper_that_only_computes"]])


def test_a_longer_hypothesis_search_than_the_default_is_slow():
    @settings(max_examples=500)
    @given(st.integers())
    def long_search(number):
        pass

    @settings(max_examples=20)
    @given(st.integers())
    def short_search(number):
        pass

    assert is_slow(long_search)
    assert not is_slow(short_search)


def test_the_suite_marks_the_process_tests_and_leaves_the_in_process_ones(request):
    collected = {item.nodeid: item for item in request.session.items}
    if "tests/e2e/test_serve.py::test_serve_migrates_and_answers_health_and_graphql" not in collected:
        pytest.skip("needs the whole suite collected (run without -m or file arguments)")
    slow = {node for node, item in collected.items() if item.get_closest_marker("slow")}
    assert "tests/e2e/test_serve.py::test_serve_migrates_and_answers_health_and_graphql" in slow
    assert "tests/e2e/test_pgbouncer.py::test_the_same_load_breaks_without_the_pooler_setting" in slow  # by its fixture
    assert "tests/e2e/test_transport_audit.py::test_graphql_http_audit_has_no_error_and_no_warning" in slow
    assert "tests/schema/test_fuzz.py::test_valid_operations_never_fail_on_the_server" in slow  # a long search
    assert "tests/api/test_graphql_transport.py::test_typename_over_post" not in slow
    assert not [node for node in slow if node.startswith(("tests/schema/test_users_queries.py", "tests/test_slow_marker.py"))]
