"""Serve the example pages as a deployment would: static files on their own origin, the API elsewhere.

    python examples/web/serve.py --port 3000        # then open http://localhost:3000/?api=http://localhost:8000

The email links' routes (/reset-password, /verify-email, /confirm-email) get the account page, /admin the
admin console. Development only: no caching headers, no TLS.
"""

from __future__ import annotations

import argparse
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
PAGES = {"/reset-password": "/index.html", "/verify-email": "/index.html", "/confirm-email": "/index.html",
         "/admin": "/admin.html"}


class PageHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path.rstrip("/")
        return super().translate_path(PAGES.get(route, path))

    def log_message(self, format: str, *args) -> None:  # quiet: the tests read the API's log, not this
        pass


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), functools.partial(PageHandler, directory=str(ROOT)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(f"serving {ROOT} on http://localhost:{args.port}/ (admin console: /admin)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
