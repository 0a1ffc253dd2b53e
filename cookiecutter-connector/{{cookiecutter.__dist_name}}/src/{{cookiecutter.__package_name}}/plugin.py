{%- set hooks = {
    "provider": "modelmesh_register_providers",
    "rotation": "modelmesh_register_rotation_policies",
    "secret_store": "modelmesh_register_secret_stores",
    "storage": "modelmesh_register_storage",
    "observability": "modelmesh_register_observability",
    "discovery": "modelmesh_register_discovery",
} -%}
"""Registers {{ cookiecutter.connector_id }} with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for {{ cookiecutter.connector_id }}.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


@modelmesh.hookimpl
def {{ hooks[cookiecutter.connector_type] }}(register: Callable[[str, Any], None]) -> None:
    register("{{ cookiecutter.connector_id }}", {{ cookiecutter.__class_name }})
