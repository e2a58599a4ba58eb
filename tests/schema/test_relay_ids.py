"""Relay global IDs (schema/relay.py) keep one encoding, unpadded URL-safe base64: clients store them
and put them in URLs."""

from __future__ import annotations

import base64
import uuid

from schema.relay import from_global_id, to_global_id


def test_global_ids_are_unpadded_url_safe_base64_of_type_and_uuid():
    for _ in range(200):
        id_ = uuid.uuid4()
        for type_name in ("User", "Session"):
            global_id = to_global_id(type_name, id_)
            assert global_id == base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")
            assert not set(global_id) & set("+/=")
            assert from_global_id(global_id) == (type_name, id_)
