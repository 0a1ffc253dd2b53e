"""Start-up costs: ``import modelmesh`` and ``modelmesh plugins list`` with 200 plugins.

Goals (issue "Foundation"): the import at most 100 ms, the listing at most 300 ms,
both as whole processes, and no plugin module imported by the listing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import Result, time_process

PLUGIN_COUNT = 200
LONG_DESCRIPTION = "A synthetic connector used to measure listing.\n" * 400


def write_synthetic_plugins(root: Path, count: int = PLUGIN_COUNT) -> None:
    """Install ``count`` plugin distributions as a site directory would hold them."""
    for i in range(count):
        package = f"modelmesh_bench_plugin_{i}"
        dist_info = root / f"{package}-1.0.{i}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            "Metadata-Version: 2.3\n"
            f"Name: modelmesh-bench-plugin-{i}\n"
            f"Version: 1.0.{i}\n"
            f"Summary: Synthetic benchmark connector {i}\n\n" + LONG_DESCRIPTION
        )
        (dist_info / "entry_points.txt").write_text(
            f"[modelmesh.provider]\nbench.provider-{i}.v1 = {package}.plugin\n"
        )
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        (root / package / "plugin.py").write_text(
            "raise RuntimeError('listing must not import plugin modules')\n"
        )


def run(runs: int) -> list[Result]:
    python = sys.executable
    modelmesh = str(Path(python).with_name("modelmesh"))
    results = [
        Result(
            "python -c pass (interpreter baseline)", time_process([python, "-c", "pass"], runs=runs)
        ),
    ]
    imported = time_process([python, "-c", "import modelmesh"], runs=runs)
    results.append(
        Result("python -c 'import modelmesh'", imported, "<= 100 ms", max(imported) <= 100)
    )
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_plugins(Path(tmp))
        env = {"PYTHONPATH": tmp + os.pathsep + os.environ.get("PYTHONPATH", "")}
        listed = time_process([modelmesh, "plugins", "list"], runs=runs, env=env)
        results.append(
            Result(
                f"modelmesh plugins list ({PLUGIN_COUNT} plugins)",
                listed,
                "<= 300 ms",
                sorted(listed)[len(listed) // 2] <= 300,
            )
        )
        probe = (
            "import sys; from modelmesh.cli import main; main(['plugins', 'list', '--json']);"
            "n = sum(m.startswith('modelmesh_bench_plugin') for m in sys.modules);"
            "print(n, file=sys.stderr)"
        )
        done = subprocess.run(
            [python, "-c", probe],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        listed_count = done.stdout.count('"bench.provider-')
        imported_count = int(done.stderr.strip().splitlines()[-1])
        results.append(
            Result(
                f"plugin modules imported by listing ({listed_count} listed)",
                (float(imported_count),),
                "0 imported",
                imported_count == 0 and listed_count == PLUGIN_COUNT,
            )
        )
    return results
