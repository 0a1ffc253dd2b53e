"""Registers redis.redis.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for redis.redis.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_redis.connector import RedisStorage


@modelmesh.hookimpl
def modelmesh_register_storage(register: Callable[[str, Any], None]) -> None:
    register("redis.redis.v1", RedisStorage)
