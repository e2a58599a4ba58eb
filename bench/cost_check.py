"""What the query cost check (schema/cost.py) adds to each request, in-process and without a database:
the cached check for the viewer query and the nested 100 x 5 query (literal page sizes, and the same
sizes from variables), beside the cached validation lookup every request already makes, and the
one-off compilation of a document's cost formula.

    uv run python -m bench.cost_check [-n 200000]
"""

from __future__ import annotations

import argparse
import timeit

from bench import operations

NESTED_VARIABLES = (
    "query UsersSized($n: Int!, $m: Int!) { users(first: $n) { edges { node { id email "
    "sessions(first: $m) { edges { node { id createdAt } } } } } } }"
)
CASES = [
    ("viewer", operations.VIEWER, None),
    ("nested 100 x 5", operations.USERS, None),
    ("nested, sizes from variables", NESTED_VARIABLES, {"n": 100, "m": 5}),
]


def _per_call_us(call, count: int) -> float:
    """The best of five runs, in microseconds per call."""
    return min(timeit.repeat(call, number=count, repeat=5)) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200_000, help="calls per timed run")
    args = parser.parse_args()

    from schema import build_schema
    from schema.cost import operation_costs

    schema = build_schema()
    checks, graphql_schema = schema.checks, schema._schema
    print(f"{'document':<30} {'cost':>6} {'cost check':>12} {'validation lookup':>18} {'compile (once)':>15}")
    for label, query, variables in CASES:
        document = checks.parse(query)
        assert not checks.validate(graphql_schema, query, document)
        assert checks.cost_refusal(graphql_schema, query, document, None, variables) is None  # compiled, cached
        cost = operation_costs(graphql_schema, document)[None]
        value = cost if isinstance(cost, int) else cost(variables)
        check = _per_call_us(lambda: checks.cost_refusal(graphql_schema, query, document, None, variables), args.n)
        lookup = _per_call_us(lambda: checks.validate(graphql_schema, query, document), args.n)
        compile_ = _per_call_us(lambda: operation_costs(graphql_schema, document), max(1, args.n // 100))
        print(f"{label:<30} {value:>6} {check:>9.2f} µs {lookup:>15.2f} µs {compile_:>12.1f} µs")


if __name__ == "__main__":
    main()
