"""JsonLogObservability passes ModelMesh's standard observability tests."""

import json
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_json_log.connector import JsonLogObservability


class TestJsonLogObservability(ObservabilityTests):
    connector_class = JsonLogObservability

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": str(workdir / "records.jsonl"), "log_level": "full"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        # Reading the output back lets the suite check every channel and the redaction.
        lines = (workdir / "records.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]
