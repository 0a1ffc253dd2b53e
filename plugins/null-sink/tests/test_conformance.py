"""NullSinkObservability passes ModelMesh's standard observability tests.

A null sink keeps nothing, so there is no ``read_records``: the suite checks that no
channel raises, whatever the record holds, and that closing twice is harmless.
"""

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_null_sink.connector import NullSinkObservability


class TestNullSinkObservability(ObservabilityTests):
    connector_class = NullSinkObservability
