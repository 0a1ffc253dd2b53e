"""Prometheus counters and histograms per model, provider and pool.

The ModelMesh observability connector modelmesh.prometheus.v1.
"""

from modelmesh_plugin_prometheus.connector import PrometheusObservability

__all__ = ["PrometheusObservability"]
__version__ = "0.1.0"
