"""Loads the ModelMesh connector kit: its fixtures and the standard-suite guard."""

from __future__ import annotations

pytest_plugins = ["modelmesh_cdk.testing.plugin"]
