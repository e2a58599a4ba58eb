"""ASGI middleware of the HTTP app."""
