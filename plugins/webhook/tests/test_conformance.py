"""WebhookObservability passes ModelMesh's standard observability tests, its output
read back from a real webhook receiver."""

from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_webhook.connector import WebhookObservability


class TestWebhookObservability(ObservabilityTests):
    connector_class = WebhookObservability

    @pytest.fixture(autouse=True)
    def _receiver(self, receiver: Any) -> None:
        self.receiver = receiver

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"url": self.receiver.url, "log_level": "full"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        # close() sent everything before the suite reads.
        return self.receiver.records
