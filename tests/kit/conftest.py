"""The kit's suites run against installed first-party plugins, in pytest inside pytest."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Only the rootdir conftest may list ``pytest_plugins``; importing it here is the same.
    config.pluginmanager.import_plugin("pytester")
