"""The typed-client example (examples/codegen): graphql-codegen turns the API's current schema and the
example's operations into TypeScript types (`DateTime` as `string`), and `tsc --noEmit` type-checks a
client written against them. A schema change that breaks the example's operations fails here."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.server import ROOT, usergraph_command

EXAMPLE = ROOT / "examples" / "codegen"


@pytest.fixture(scope="module")
def installed() -> None:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("the typed-client example needs Node.js (node and npm on PATH)")
    result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXAMPLE, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"npm ci failed in {EXAMPLE}:\n{result.stdout}\n{result.stderr}"


def test_generated_types_type_check_against_the_current_schema(installed, tmp_path):
    schema = tmp_path / "schema.graphql"
    exported = subprocess.run(usergraph_command("export-schema", "--output", str(schema)), capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert exported.returncode == 0, exported.stderr
    shutil.rmtree(EXAMPLE / "generated", ignore_errors=True)
    result = subprocess.run(["npm", "run", "check"], cwd=EXAMPLE, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "SCHEMA": str(schema)})
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    generated = (EXAMPLE / "generated" / "graphql.ts").read_text()
    # DateTime fields arrive as ISO 8601 strings (unmapped, they would be `unknown` or `any`).
    assert "createdAt: string," in generated and "lastSignInAt: string | null" in generated
