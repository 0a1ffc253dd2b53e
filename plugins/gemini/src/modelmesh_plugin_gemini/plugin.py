"""Registers google.gemini.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for google.gemini.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_gemini.connector import GeminiProvider


@modelmesh.hookimpl
def modelmesh_register_providers(register: Callable[[str, Any], None]) -> None:
    register("google.gemini.v1", GeminiProvider)
