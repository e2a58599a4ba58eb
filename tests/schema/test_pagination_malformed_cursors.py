"""Every malformed, foreign or out-of-range cursor is BAD_USER_INPUT, never an INTERNAL_SERVER_ERROR: for
`users` in each ordering and direction (`after` and `before`) and for `User.sessions`, over generated
cursors (random bytes and text, bad base64, JSON of the wrong shape or types, wrong arity, huge numbers,
datetimes that leave the representable range once converted to UTC, bad UUIDs, unencodable text)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import make_session, signed_in_admin

ORDER_FIELDS = ("CREATED_AT", "EMAIL", "NAME", "LAST_SIGN_IN_AT")
DATETIME_ORDERINGS = {"CREATED_AT", "LAST_SIGN_IN_AT", "SESSIONS"}
VALID_KEY = {"EMAIL": "ann@example.com", "NAME": "ann"} | dict.fromkeys(DATETIME_ORDERINGS, "2026-01-01T00:00:00+00:00")
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T23:00:00+23:59",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999-00:00:01",
]
NOT_DATETIMES = ["2026-01-01T00:00:00", "2026-13-01T00:00:00+00:00", "10000-01-01T00:00:00+00:00", "yesterday", ""]
CURSORS_SEEN = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
# Key values no ordering accepts: keys are strings (or null, for the nullable LAST_SIGN_IN_AT alone).
not_strings = (
    st.booleans() | st.integers() | st.integers(min_value=10**20) | st.floats() | st.lists(st.text(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)
)


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json_cursor(value) -> str:
    return _encoded(json.dumps(value).encode())


def malformed_cursors(name: str) -> st.SearchStrategy[str]:
    """Cursors that cannot be a position of the ordering called `name`."""
    key, other = VALID_KEY[name], next(n for n in ("EMAIL", "CREATED_AT") if n != name)
    ids = st.uuids().map(str)
    strategies = [
        st.binary(max_size=80).map(_encoded),
        st.text(max_size=60),
        st.sampled_from(["", "=", "a", "ab=c", "!!!!", "====", "%20", "WyJ", "W10", "bnVsbA", "e30"]),
        json_values.map(_json_cursor),
        st.tuples(st.just(name), not_strings, ids).map(lambda parts: _json_cursor(list(parts))),
        st.tuples(st.just(name), st.just(key), not_strings | st.text(max_size=40)).map(
            lambda parts: _json_cursor(list(parts))
        ),
        # Wrong arity, and another ordering's cursor.
        st.lists(st.just(key) | ids, max_size=5).filter(lambda values: len(values) != 2).map(
            lambda values: _json_cursor([name, *values])
        ),
        ids.map(lambda id_: _json_cursor([other, VALID_KEY[other], id_])),
        # A number too long for Python's int parser, JSON nested too deep, and not a list at all.
        ids.map(lambda id_: _encoded(f'["{name}", {"9" * 5000}, "{id_}"]'.encode())),
        st.integers(min_value=500, max_value=760).map(lambda depth: _encoded(b"[" * depth)),
        ids.map(lambda id_: _json_cursor({name: 1, key: 2, id_: 3})),
        # Text no database accepts: NUL, and a lone surrogate (not encodable as UTF-8).
        st.sampled_from(["a\x00", "\ud800", "ann\udfff"]).flatmap(
            lambda bad: ids.map(lambda id_: _json_cursor([name, bad, id_]))
        ),
    ]
    if name in DATETIME_ORDERINGS:
        strategies.append(
            st.sampled_from(OUT_OF_RANGE + NOT_DATETIMES).flatmap(
                lambda moment: ids.map(lambda id_: _json_cursor([name, moment, id_]))
            )
        )
    return st.one_of(strategies)


@pytest.fixture
async def admin_token(database) -> str:
    user, token = await signed_in_admin(database, email="ada@example.com")
    await make_session(database, user)
    return token


def _assert_bad_user_input(response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"], body


@pytest.mark.parametrize("field", ORDER_FIELDS)
@CURSORS_SEEN
@given(data=st.data(), direction=st.sampled_from(["ASC", "DESC"]), argument=st.sampled_from(["after", "before"]))
async def test_malformed_users_cursors_are_bad_user_input(client, admin_token, field, data, direction, argument):
    cursor = data.draw(malformed_cursors(field), label="cursor")
    query = f"""query ($c: String) {{ users(orderBy: {{field: {field}, direction: {direction}}}, {argument}: $c) {{
        totalCount edges {{ cursor node {{ id }} }} pageInfo {{ hasNextPage hasPreviousPage }} }} }}"""
    _assert_bad_user_input(
        await client.post("/graphql", json={"query": query, "variables": {"c": cursor}},
                          headers={"Authorization": f"Bearer {admin_token}"})
    )


@CURSORS_SEEN
@given(cursor=malformed_cursors("SESSIONS"))
async def test_malformed_session_cursors_are_bad_user_input(client, admin_token, cursor):
    query = """query ($c: String) { viewer { sessions(after: $c, status: null) {
        totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage } } } }"""
    _assert_bad_user_input(
        await client.post("/graphql", json={"query": query, "variables": {"c": cursor}},
                          headers={"Authorization": f"Bearer {admin_token}"})
    )


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["CREATED_AT", "LAST_SIGN_IN_AT"])
async def test_datetimes_out_of_range_in_utc_are_bad_user_input(client, admin_token, field, moment):
    # Pinned from the issue: `0001-01-01T00:00:00+01:00` parses, but is before year 1 in UTC.
    cursor = _json_cursor([field, moment, "00000000-0000-0000-0000-000000000000"])
    query = f'query ($c: String) {{ users(orderBy: {{field: {field}}}, after: $c) {{ edges {{ cursor }} }} }}'
    _assert_bad_user_input(
        await client.post("/graphql", json={"query": query, "variables": {"c": cursor}},
                          headers={"Authorization": f"Bearer {admin_token}"})
    )
