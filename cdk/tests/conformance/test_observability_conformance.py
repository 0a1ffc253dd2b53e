"""The observability base classes pass the standard observability suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelmesh_cdk.base.observability import (
    BaseObservability,
    ConsoleObservability,
    FileObservability,
    NullObservability,
)
from modelmesh_cdk.testing.suites import ObservabilityTests


class TestBaseObservability(ObservabilityTests):
    connector_class = BaseObservability


class TestConsoleObservability(ObservabilityTests):
    connector_class = ConsoleObservability


class TestNullObservability(ObservabilityTests):
    connector_class = NullObservability


class TestFileObservability(ObservabilityTests):
    connector_class = FileObservability

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"file_path": str(workdir / "modelmesh.log"), "log_level": "full"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        lines = (workdir / "modelmesh.log").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]
