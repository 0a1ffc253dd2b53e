"""The CDK's own base classes, run through the standard suites connector authors use."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # A connector's conftest says ``pytest_plugins = ["modelmesh_cdk.testing.plugin"]``;
    # pytest accepts that list only in the top-level conftest, and this directory sits
    # below it in the repository, so the plugin is imported here the same way.
    config.pluginmanager.import_plugin("modelmesh_cdk.testing.plugin")
