"""Loading configuration stays light: no HTTP client or plugin manager is imported.

How fast a realistic file loads is measured in benchmarks/ (suite "config").
"""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_config_package_pulls_in_neither_httpx_nor_pluggy() -> None:
    code = (
        "import sys, modelmesh.config; "
        "print(sorted(m for m in ('httpx', 'pluggy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
