"""The GraphiQL page: a first document that teaches the API, its scripts from a configurable place, and a
clear message instead of an endless "Loading..." when they cannot be fetched."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

_TEMPLATE = Path(__file__).with_name("static") / "graphiql.html"

DEFAULT_DOCUMENT = """\
# usergraph: sign up or sign in, then ask who you are.
#
# Signed in here, this page's browser keeps the session cookie signUp/signIn set, and every operation
# below sends it along. From another client, send the token instead: open the Headers tab below and put
#   {"Authorization": "Bearer <token from signIn>"}
# Operations that check a password (signUp, signIn, changePassword, ...) must be alone in a request:
# put the cursor in one and press Ctrl-Enter to run just that one.

mutation SignUp {
  signUp(input: {email: "ada@example.com", name: "Ada", password: "correct horse battery staple"}) {
    token
    user { id email name }
    errors { field message code }
  }
}

mutation SignIn {
  signIn(input: {email: "ada@example.com", password: "correct horse battery staple"}) {
    token
    twoFactorChallenge
    user { id email }
    errors { field message code }
  }
}

query Viewer {
  viewer {
    id
    email
    name
    emailVerified
    twoFactorEnabled
    sessions(first: 5) { edges { node { id status isCurrent createdAt userAgent } } }
  }
}

mutation SignOut {
  signOut { session { id status } errors { code message } }
}
"""


@cache
def graphiql_html(assets_url: str) -> str:
    """The page, with its scripts and styles taken from `assets_url` (an unpkg.com-style file server)."""
    page = _TEMPLATE.read_text(encoding="utf-8")
    return page.replace("__ASSETS__", html.escape(assets_url.rstrip("/"), quote=True)).replace(
        "__DEFAULT_DOCUMENT__", DEFAULT_DOCUMENT  # inside a <script> element: it holds no "</"
    )
