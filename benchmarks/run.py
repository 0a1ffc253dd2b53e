"""Run the ModelMesh benchmarks and print one table per suite.

    uv run python benchmarks/run.py [--runs N] [SUITE ...]

Suites: startup, config, transport, storage, routing, proxy. Exit status 1 when a measured figure
misses its goal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import config_load
import proxy
import routing
import startup
import storage
import transport
from _timing import print_table

SUITES = {
    "startup": ("Start-up (whole processes)", startup.run, print_table),
    "config": ("Configuration loading (in process)", config_load.run, print_table),
    "transport": (
        "HTTP transports against the fake upstream (loopback)",
        transport.run,
        transport.print_table,
    ),
    "storage": ("Storage save and load throughput (in process)", storage.run, storage.print_table),
    "routing": (
        "Routed calls against direct calls to the fake upstream (loopback), and a dead provider",
        routing.run,
        routing.print_table,
    ),
    "proxy": (
        "Proxy (modelmesh serve, one worker) against direct calls to the fake upstream",
        proxy.run,
        proxy.print_table,
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"one of {', '.join(SUITES)}")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure")
    args = parser.parse_args()
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:
        parser.error(f"unknown suite {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    missed = False
    for name in args.suites or SUITES:
        title, suite, show = SUITES[name]
        results = suite(args.runs)
        show(title, results)
        missed |= any(r.passed is False for r in results)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
