"""DATABASE_URL normalisation: libpq URLs as Neon shows them work with asyncpg."""

import pytest

from db.url import DatabaseURLError, parse_database_url

NEON = "ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech"


@pytest.mark.parametrize(
    ("raw", "driver", "expected_args", "pooler"),
    [
        ("postgres://u:p@db.example/app", "postgresql+asyncpg", {}, "none"),
        ("postgresql://u:p@db.example/app", "postgresql+asyncpg", {}, "none"),
        ("postgresql+asyncpg://u:p@db.example/app", "postgresql+asyncpg", {}, "none"),
        ("postgresql://u@db.example/app?sslmode=require", "postgresql+asyncpg", {"ssl": "require"}, "none"),
        ("postgresql://u@db.example/app?sslmode=verify-full", "postgresql+asyncpg", {"ssl": "verify-full"}, "none"),
        ("postgresql://u@db.example/app?sslmode=disable", "postgresql+asyncpg", {"ssl": False}, "none"),
        (
            "postgresql://u@db.example/app?sslmode=require&channel_binding=require",
            "postgresql+asyncpg",
            {"ssl": "require"},
            "none",
        ),
        (
            "postgresql://u@db.example/app?application_name=ug&options=endpoint%3Dep-1",
            "postgresql+asyncpg",
            {"server_settings": {"application_name": "ug", "options": "endpoint=ep-1"}},
            "none",
        ),
        ("postgresql://u@db.example/app?connect_timeout=3", "postgresql+asyncpg", {"timeout": 3.0}, "none"),
        (f"postgresql://u:p@{NEON}/neondb?sslmode=require", "postgresql+asyncpg", {"ssl": "require"}, "transaction"),
        ("sqlite:///./x.db", "sqlite+aiosqlite", None, "none"),
        ("sqlite+aiosqlite:///./x.db", "sqlite+aiosqlite", None, "none"),
    ],
)
def test_urls_are_normalised_for_the_async_drivers(raw, driver, expected_args, pooler):
    config = parse_database_url(raw)
    assert config.url.drivername == driver
    assert config.pooler == pooler
    if driver.startswith("postgresql"):
        assert dict(config.url.query) == {}, "no libpq parameter may reach asyncpg as a keyword"
        for key, value in expected_args.items():
            assert config.connect_args[key] == value
        assert "sslmode" not in config.connect_args and "channel_binding" not in config.connect_args


def test_transaction_pooler_disables_prepared_statement_caches():
    config = parse_database_url(f"postgresql://u@{NEON}/db")
    assert config.connect_args["statement_cache_size"] == 0
    assert config.connect_args["prepared_statement_cache_size"] == 0
    name = config.connect_args["prepared_statement_name_func"]
    assert name() != name()


def test_pooler_setting_overrides_detection():
    assert parse_database_url(f"postgresql://u@{NEON}/db", pooler="none").pooler == "none"
    config = parse_database_url("postgresql://u@localhost/db", pooler="transaction")
    assert config.pooler == "transaction" and config.connect_args["statement_cache_size"] == 0


def test_without_pooler_statement_cache_stays_on():
    assert "statement_cache_size" not in parse_database_url("postgresql://u@localhost/db").connect_args


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("mysql://u@h/db", "unsupported database URL scheme"),
        ("postgresql+psycopg://u@h/db", "unsupported database URL scheme"),
        ("not a url", "not a valid URL"),
        ("", "empty"),
        ("postgresql:///db", "no host"),
        ("postgresql://u@h:notaport/db", "invalid port"),
        ("postgresql://u@h/db?sslmode=sometimes", "unknown sslmode"),
        ("postgresql://u@h/db?frobnicate=1", "unsupported parameter"),
    ],
)
def test_bad_urls_fail_with_one_line(raw, fragment):
    with pytest.raises(DatabaseURLError) as error:
        parse_database_url(raw)
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_password_is_not_echoed_in_errors():
    with pytest.raises(DatabaseURLError) as error:
        parse_database_url("mysql://user:hunter2@h/db")
    assert "hunter2" not in str(error.value)


def test_channel_binding_require_is_one_warning_per_process_that_says_what_protects_the_connection(caplog):
    from db import url as url_module

    url_module._say_once.cache_clear()
    raw = f"postgresql://u:p@{NEON}/neondb?sslmode=require&channel_binding=require"
    with caplog.at_level("INFO", logger="db.url"):
        for _ in range(9):  # as many engines as one start makes
            parse_database_url(raw)
    said = [record for record in caplog.records if record.name == "db.url"]
    assert len(said) == 1 and said[0].levelname == "WARNING"
    message = said[0].getMessage()
    assert "channel_binding=require" in message and "asyncpg cannot" in message and "sslmode=require" in message


def test_other_libpq_only_parameters_are_noted_once_at_info(caplog):
    from db import url as url_module

    url_module._say_once.cache_clear()
    with caplog.at_level("INFO", logger="db.url"):
        for _ in range(3):
            parse_database_url("postgresql://u@db.example/app?target_session_attrs=read-write")
    said = [record for record in caplog.records if record.name == "db.url"]
    assert [record.levelname for record in said] == ["INFO"]
