"""Records handed to a Python callable"""

import attrs

from modelmesh_cdk.base.observability import BaseObservability, BaseObservabilityConfig


@attrs.frozen
class CallbackObservabilityConfig(BaseObservabilityConfig):
    """BaseObservabilityConfig's options plus where the records go."""

    file_path: str = "callback.jsonl"


class CallbackObservability(BaseObservability):
    """Receives ModelMesh's events, request logs, statistics and traces.

    The base class renders each record as one redacted JSON line and filters by
    event_filter, log_level, min_severity and scopes; an exception from ``_write`` is
    counted in ``write_errors`` and never reaches a request.
    """

    config_class = CallbackObservabilityConfig
    config: CallbackObservabilityConfig

    def _write(self, line: str) -> None:
        # Fill in: ship the line where it belongs (a collector, a queue, a socket). As
        # rendered, it appends the line to ``file_path``.
        with open(self.config.file_path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
