"""Registers openai.llm.v1 and every OpenAI-compatible preset with ModelMesh.

The entry points in pyproject.toml name this module; ModelMesh imports it only when a
configuration asks for one of its connector IDs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_openai.connector import PROVIDERS


@modelmesh.hookimpl
def modelmesh_register_providers(register: Callable[[str, Any], None]) -> None:
    for connector_id, provider_class in PROVIDERS.items():
        register(connector_id, provider_class)
