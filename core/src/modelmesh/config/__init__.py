"""ModelMesh configuration: the YAML schema, loaded into attrs classes with cattrs.

``load_config`` accepts every documented layout, resolves ``${VAR}`` and
``${secrets:NAME}`` references and raises one ConfigError listing every issue with
its YAML path, file and line. See docs/configuration.md.
"""

from __future__ import annotations

from modelmesh.config.durations import format_duration, parse_duration
from modelmesh.config.issues import ConfigError, ConfigIssue
from modelmesh.config.loader import load_config
from modelmesh.config.schema import MeshConfig

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "MeshConfig",
    "format_duration",
    "load_config",
    "parse_duration",
]
