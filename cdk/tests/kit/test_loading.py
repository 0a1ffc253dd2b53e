"""The kit loads only where asked: no autoloaded plugin, no pytest for the fake upstream."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points


def test_the_plugin_is_not_registered_for_autoloading() -> None:
    autoloaded = [ep.value for ep in entry_points(group="pytest11")]
    assert not [value for value in autoloaded if value.startswith("modelmesh_cdk")]


def test_the_fake_upstream_imports_without_pytest() -> None:
    probe = "import sys; import modelmesh_cdk.testing.fake_upstream; print('pytest' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
