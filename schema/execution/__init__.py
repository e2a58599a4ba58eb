"""The speed layer, fenced: everything in usergraph that leans on library internals lives in this package.

- direct.py: a cleanly validated POSTed operation runs straight through graphql-core's `execute`,
  without Strawberry's per-operation machinery.
- executor.py and plan.py: queries run by a plan cached per document, walked instead of graphql-core's
  per-field machinery; anything unusual gives up and runs again on the standard executor.
- strawberry_fields.py: how Strawberry reads a field and calls a resolver, for the plans.
- strawberry_schema.py: the two things the rest of `schema/` needs from Strawberry's `Schema` beyond
  its public API.

Internal names touched (the list to re-check when moving `VERIFIED_VERSIONS`):
- strawberry-graphql: `Schema._schema` and `Schema._get_custom_context_kwargs` (strawberry_schema.py);
  `StrawberryGraphQLCoreExecutionContext`,
  `GraphQLSchema._strawberry_schema`, `StrawberryField.base_resolver` / `default_resolver` /
  `python_name`, `StrawberryResolver.wrapped_func` / `signature` / `self_parameter` / `info_parameter` /
  `parent_parameter` / `root_parameter`, `strawberry.types.arguments.convert_arguments`,
  `Info(_raw_info=, _field=)`, `strawberry.execution.optimized_is_awaitable`.
- graphql-core: `ExecutionContext.execute_collected_root_fields` (overridden), `.build_resolve_info`,
  `.fragments`, `.fragment_definitions`, `.variable_values`, `.hide_suggestions`, `.is_awaitable`,
  `.middleware_manager`, `.abort_signal`; `graphql.execution.collect_fields.collect_subfields`,
  `graphql.execution.values.get_argument_values`.
Outside this package no module touches a library's internals, except `logging._srcfile = None`
(api/logging.py), which the standard library's Logging HOWTO documents for exactly this use.

These run only on the exact versions they were verified against (`VERIFIED_VERSIONS`): with any other
version installed the standard executor answers, and one WARNING says so. Upgrading either library then
never changes an answer, only speed; re-verify (the differential tests in tests/schema/test_fastpath.py,
both CI modes) before moving the pins. docs/performance.md has what each piece buys.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

log = logging.getLogger(__name__)

VERIFIED_VERSIONS = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}


def unverified_versions() -> dict[str, str]:
    """Each package whose installed version differs from the verified one, with what is installed."""
    found = {}
    for package, verified in VERIFIED_VERSIONS.items():
        try:
            installed = version(package)
        except PackageNotFoundError:
            installed = "missing"
        if installed != verified:
            found[package] = installed
    return found


def fast_path_allowed(requested: bool) -> bool:
    """Whether the shortcuts may run: asked for, and on the verified versions (else a WARNING)."""
    if not requested:
        return False
    unverified = unverified_versions()
    if unverified:
        installed = ", ".join(f"{package} {found}" for package, found in unverified.items())
        verified = ", ".join(f"{package} {pinned}" for package, pinned in VERIFIED_VERSIONS.items())
        log.warning("GraphQL fast path off: verified with %s, installed %s", verified, installed)
        return False
    return True
