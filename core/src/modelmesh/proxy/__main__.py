"""``python -m modelmesh.proxy``: the same as ``modelmesh serve``, as the upstream ran it."""

import sys

from modelmesh.cli import main

raise SystemExit(main(["serve", *sys.argv[1:]]))
