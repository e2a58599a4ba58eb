"""How validated operations are executed: straight through graphql-core for POSTed operations
(direct.py), whose executor has two exact shortcuts, a fast path for plain leaf fields (fastpath.py) and
cached execution plans for queries (plan.py); strawberry_fields.py holds what both need to know about
Strawberry's fields.

These lean on internals of strawberry-graphql and graphql-core, so they run only on the exact versions
they were verified against (`VERIFIED_VERSIONS`): with any other version installed the standard executor
answers, and one WARNING says so. Upgrading either library then never changes an answer, only speed;
re-verify (the differential tests in tests/schema/test_fastpath.py, both CI modes) before moving the pins.
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
