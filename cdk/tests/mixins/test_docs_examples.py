"""The Python examples on the mixins page run as shown."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "cdk-mixins.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[object]:
    text = PAGE.read_text(encoding="utf-8")
    return [
        pytest.param(match.group(1), id=f"line {text.count(chr(10), 0, match.start()) + 1}")
        for match in BLOCK.finditer(text)
    ]


@pytest.mark.parametrize("source", blocks())
def test_the_example_runs(source, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(source, encoding="utf-8")
    # run as a module in sys.modules, as a file of the reader's would be
    runpy.run_path(str(script), run_name="docs_example")
