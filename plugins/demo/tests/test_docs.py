"""docs/demo.md shows the configuration the demo really serves."""

from __future__ import annotations

import re
from pathlib import Path

from modelmesh_plugin_demo.config import DEMO_YAML

DOC = Path(__file__).resolve().parents[3] / "docs" / "demo.md"


def test_the_guide_shows_the_shipped_demo_yaml_in_full() -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)

    assert blocks == [DEMO_YAML.read_text(encoding="utf-8")]
