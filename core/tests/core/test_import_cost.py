"""`import modelmesh` stays cheap: no network, no metadata scan, no plugin, no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("httpx", "pluggy", "yaml", "structlog", "cattrs", "attr", "importlib.metadata", "socket")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


def test_importing_the_package_loads_no_heavy_module():
    loaded = modules_after("import modelmesh")

    assert not {name for name in HEAVY if name in loaded}


def test_importing_the_package_loads_none_of_its_submodules():
    loaded = modules_after("import modelmesh")

    assert {m for m in loaded if m.startswith("modelmesh.")} == set()


def test_lazy_names_resolve_on_first_use():
    loaded = modules_after("import modelmesh\nmodelmesh.ConnectorRegistry")

    assert "modelmesh.registry" in loaded
