"""The GraphQL-over-HTTP spec authors' own audit (npm `graphql-http`) passes against the real server
with no error and no warning."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.server import running_server

AUDIT_DIR = Path(__file__).parent / "http_audit"


def _install_audit() -> None:
    """`npm ci` once into the gitignored tests/e2e/http_audit/node_modules (pinned by package-lock.json)."""
    if (AUDIT_DIR / "node_modules" / "graphql-http" / "package.json").exists():
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"npm ci failed in {AUDIT_DIR}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def audit_tool() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("the graphql-http audit needs Node.js (node and npm on PATH)")
    _install_audit()
    return AUDIT_DIR / "audit.mjs"


def test_graphql_http_audit_has_no_error_and_no_warning(audit_tool, tmp_path, database_url):
    with running_server({"DATABASE_URL": database_url}, "--no-migrate", tmp_path=tmp_path) as server:
        result = subprocess.run(
            ["node", str(audit_tool), f"{server.base_url}/graphql"],
            capture_output=True, text=True, timeout=120,
        )
        log = server.log()
    assert result.returncode == 0, result.stderr
    audits = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(audits) > 50  # the whole list ran (61 audits in graphql-http 1.23)
    not_ok = [audit for audit in audits if audit["status"] != "ok"]
    assert not_ok == []
    # Client mistakes (the audit sends many) are not worth a traceback in the server log.
    assert "Traceback" not in log
