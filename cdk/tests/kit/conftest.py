"""The kit's own tests run pytest inside pytest (pytester) against the plugin."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # pytest accepts a ``pytest_plugins`` list only in the top-level conftest, and this
    # directory sits below it in the repository; importing the plugins here is the same.
    config.pluginmanager.import_plugin("pytester")
    config.pluginmanager.import_plugin("modelmesh_cdk.testing.plugin")
