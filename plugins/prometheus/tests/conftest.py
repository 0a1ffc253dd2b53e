"""Loads the ModelMesh connector kit: its fixtures and the standard-suite guard."""

pytest_plugins = ["modelmesh_cdk.testing.plugin"]
