"""Loads the ModelMesh connector kit, whose ``redis_url`` runs one real redis-server for
the session."""

from __future__ import annotations

import uuid

import pytest

pytest_plugins = ["modelmesh_cdk.testing.plugin"]


@pytest.fixture
def key_prefix() -> str:
    """A prefix no other test uses, so tests share the server without seeing each other."""
    return f"test-{uuid.uuid4().hex}:"
