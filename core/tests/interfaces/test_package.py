"""The interfaces package: cheap to import, connector bases reachable from the top."""

from __future__ import annotations

import subprocess
import sys

import pytest

import modelmesh.interfaces as interfaces

HEAVY = ("pluggy", "httpx", "structlog", "yaml", "cattrs")


@pytest.mark.parametrize(
    "module",
    [
        "modelmesh.interfaces",
        "modelmesh.interfaces.provider",
        "modelmesh.interfaces.rotation",
        "modelmesh.interfaces.secret_store",
        "modelmesh.interfaces.storage",
        "modelmesh.interfaces.observability",
        "modelmesh.interfaces.discovery",
    ],
)
def test_importing_an_interface_module_loads_no_heavy_dependency(module):
    code = f"import sys, {module}; print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_importing_the_package_loads_no_connector_module():
    code = (
        "import sys, modelmesh.interfaces; "
        "print(sorted(m for m in sys.modules if m.startswith('modelmesh.interfaces.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", interfaces.__all__)
def test_every_exported_name_resolves_to_its_class(name):
    assert getattr(interfaces, name).__name__ == name


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Nope"):
        interfaces.Nope  # noqa: B018
