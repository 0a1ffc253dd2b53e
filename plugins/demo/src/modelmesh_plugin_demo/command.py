"""The ``modelmesh demo`` command: its options, and the console it draws on."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from rich.console import Console

from .run import Options, run_demo

DEFAULT_REQUESTS = 40
DEFAULT_DELAY = 0.15
INTERRUPTED = 130
"""The shell's status for a command ended by Ctrl-C."""
PIPE_WIDTH = 100
"""Columns to draw in when not on a terminal: logs have room for the whole summary."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError("must be between 0 and 60 seconds")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmesh demo",
        description=(
            "Watch ModelMesh fail over, offline: three local fake providers (one rate-limited, "
            "one flaky, one steady), the OpenAI-compatible proxy in front of them, and chat "
            "requests sent through the official openai client. No API key, no network."
        ),
    )
    parser.add_argument(
        "--requests",
        type=_positive_int,
        default=DEFAULT_REQUESTS,
        metavar="N",
        help=f"how many requests to send (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--delay",
        type=_seconds,
        default=DEFAULT_DELAY,
        metavar="SECONDS",
        help=f"pause between requests (default {DEFAULT_DELAY})",
    )
    parser.add_argument(
        "--no-live",
        action="store_true",
        help="print plain lines only, without the live board (automatic when not a terminal)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the demo; returns the exit status."""
    args = _parser().parse_args(list(argv))
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, PIPE_WIDTH)
    live = console.is_terminal and not args.no_live
    try:
        tally = run_demo(Options(args.requests, args.delay), console, live=live)
    except KeyboardInterrupt:
        # The run has stopped its providers and proxy on the way out; a traceback
        # would only hide that.
        console.print("interrupted", style="bold")
        return INTERRUPTED
    # Every request is meant to be answered: one that was not is a failure to report.
    return 0 if tally.answered == len(tally.outcomes) else 1
