"""SECRET_KEY: required in production (the app and `usergraph serve` refuse to start without it); in
development generated once into the data directory, mode 0600, and reused."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.secret_key import KEY_FILE_NAME, SecretKeyError, data_directory, development_key, secret_keys
from api.settings import Settings
from tests.cli.test_cli import run


def test_production_refuses_to_build_the_app_without_a_secret_key(settings):
    from api.app import create_app

    with pytest.raises(SecretKeyError, match="SECRET_KEY is required in production"):
        create_app(settings.model_copy(update={"environment": "production", "secret_key": None}))


def test_serve_in_production_without_a_secret_key_exits_with_one_line(tmp_path):
    result = run("serve", "--no-migrate", env={
        "ENVIRONMENT": "production", "SECRET_KEY": "", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    })
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("usergraph serve: SECRET_KEY is required in production")
    assert not (tmp_path / KEY_FILE_NAME).exists()


def test_a_short_secret_key_is_refused():
    with pytest.raises(SecretKeyError, match="at least 32 characters"):
        secret_keys(Settings(secret_key="too short"))


def test_in_development_a_key_is_generated_once_beside_the_database_and_reused(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/data/app.db", secret_key=None)
    assert data_directory(settings) == tmp_path / "data"
    [first] = secret_keys(settings)
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert secret_keys(settings) == [first]
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]  # no draft left behind


def test_concurrent_first_starts_agree_on_one_key(tmp_path):
    path = tmp_path / KEY_FILE_NAME
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: development_key(path), range(16)))
    assert keys == {path.read_text().strip()}


def test_other_databases_keep_the_development_key_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data_directory(Settings(database_url="postgresql://u@localhost/db")) == tmp_path
