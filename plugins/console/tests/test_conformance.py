"""ConsoleObservability passes ModelMesh's standard observability tests.

Its lines are for people, not parsers, so there is no ``read_records``: the suite checks
that no channel raises, whatever the record holds, and that closing twice is harmless;
tests/test_console.py reads the lines back for the rest (one line per record, no secret).
"""

from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_console.connector import ConsoleObservability


class TestConsoleObservability(ObservabilityTests):
    connector_class = ConsoleObservability

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"log_level": "full", "min_severity": "debug", "use_color": True}
