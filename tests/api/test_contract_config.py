"""CONTRACT.md, Configuration: environment variables (and `.env`), DB_POOLER's default detection,
DIRECT_URL's default, and a README that documents every setting with its real default."""

from __future__ import annotations

import re

import pytest

from api.settings import Settings
from db.engine import database_config
from tests.support.server import ROOT

NEON_POOLED = "postgresql://u:p@ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require"
NEON_DIRECT = "postgresql://u:p@ep-cool-darkness-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require"


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A working directory without `.env` and no usergraph variable but the ones a test sets."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.mark.parametrize(("url", "pooler", "expected"), [
    (NEON_POOLED, None, "transaction"),
    (NEON_DIRECT, None, "none"),
    ("postgresql://u@localhost/app", None, "none"),
    (NEON_POOLED, "none", "none"),
    ("postgresql://u@localhost/app", "transaction", "transaction"),
])
def test_db_pooler_defaults_to_the_host_name_and_the_variable_overrides_it(environment, url, pooler, expected):
    environment.setenv("DATABASE_URL", url)
    if pooler:
        environment.setenv("DB_POOLER", pooler)
    assert database_config(Settings()).pooler == expected


def test_direct_url_defaults_to_database_url_and_is_used_for_migrations(environment):
    environment.setenv("DATABASE_URL", NEON_POOLED)
    assert Settings().migration_url == NEON_POOLED
    environment.setenv("DIRECT_URL", NEON_DIRECT)
    settings = Settings()
    assert settings.migration_url == NEON_DIRECT
    assert database_config(settings, url=settings.migration_url).pooler == "none"


def test_defaults_without_any_variable(environment):
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert (settings.environment, settings.allow_sign_up, settings.startup_timeout) == ("development", True, 30)


def test_settings_are_read_from_a_dot_env_file_and_the_environment_wins(environment, tmp_path):
    (tmp_path / ".env").write_text("ALLOW_SIGN_UP=false\nENVIRONMENT=production\nSTARTUP_TIMEOUT=7\n")
    settings = Settings()
    assert (settings.allow_sign_up, settings.environment, settings.startup_timeout) == (False, "production", 7)
    environment.setenv("ALLOW_SIGN_UP", "true")
    assert Settings().allow_sign_up is True


def _readme_settings() -> dict[str, str]:
    """Every `VARIABLE` in the README's settings tables, with the default its row gives."""
    documented: dict[str, str] = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"(`[A-Z0-9_]+`( / )?)+", cells[0]):
            continue
        names = re.findall(r"`([A-Z0-9_]+)`", cells[0])
        defaults = cells[1].split(" / ")
        for index, name in enumerate(names):
            documented[name] = defaults[index] if len(defaults) == len(names) else cells[1]
    return documented


def _as_documented(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def test_the_readme_documents_every_setting_with_its_default():
    documented = _readme_settings()
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert missing == []
    for name, field in Settings.model_fields.items():
        if field.default is None:
            continue  # derived defaults (GRAPHIQL, DB_POOLER, LOG_FORMAT …) are described in words
        assert documented[name.upper()] == f"`{_as_documented(field.default)}`", name


def test_the_readme_operations_are_valid_against_the_schema():
    from graphql import DocumentNode, parse, validate

    from schema import build_schema

    schema = build_schema()._schema
    blocks = re.findall(r"```graphql\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    # Each operation is a separate example (some blocks hold several anonymous ones).
    operations = [definition for block in blocks for definition in parse(block).definitions]
    assert len(operations) >= 10
    for operation in operations:
        assert validate(schema, DocumentNode(definitions=(operation,))) == [], operation.loc.source.body[:80]
    names = {operation.name.value for operation in operations if operation.name}
    assert {"SignUp", "SignIn", "Viewer", "Users", "CreateUser", "Deactivate", "DeleteUser"} <= names
