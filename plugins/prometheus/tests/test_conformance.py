"""PrometheusObservability passes ModelMesh's standard observability tests.

Its output is metrics, not records, so there is no ``read_records``: the suite checks
that no channel raises, and tests/test_metrics.py checks what the metrics say.
"""

from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_prometheus.connector import PrometheusObservability


class TestPrometheusObservability(ObservabilityTests):
    connector_class = PrometheusObservability

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"log_level": "full"}
