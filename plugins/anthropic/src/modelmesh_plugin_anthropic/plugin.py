"""Registers anthropic.claude.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for anthropic.claude.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_anthropic.connector import AnthropicProvider


@modelmesh.hookimpl
def modelmesh_register_providers(register: Callable[[str, Any], None]) -> None:
    register("anthropic.claude.v1", AnthropicProvider)
