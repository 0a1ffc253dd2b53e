"""Discards every record: the default observability sink."""

from __future__ import annotations

from modelmesh_cdk.base.observability import NullObservability


class NullSinkObservability(NullObservability):
    """Keeps nothing: the mesh, seeing ``discards_records``, sends it no record at all.

    It takes the options every sink shares (``log_level``, ``min_severity``,
    ``event_filter``, ``scopes``, ``flush_interval_seconds``) so that a configuration
    written for another sink still loads when pointed here; an unknown option is still
    an error, to catch typos.
    """

    discards_records = True
