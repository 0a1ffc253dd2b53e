"""CallbackObservability passes ModelMesh's standard observability tests."""

import json
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_callback.connector import CallbackObservability


class TestCallbackObservability(ObservabilityTests):
    connector_class = CallbackObservability

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        def keep(record: dict[str, Any]) -> None:
            with (workdir / "records.jsonl").open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")

        return {"callback": keep, "log_level": "full"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        # What the callable received, kept as JSON lines so the suite can read it back.
        lines = (workdir / "records.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]
