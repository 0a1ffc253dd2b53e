"""The ``modelmesh demo`` command."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    """Run the demo; returns the exit status."""
    raise SystemExit("modelmesh demo is being built; it is not available yet")
