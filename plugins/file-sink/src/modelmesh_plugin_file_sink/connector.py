"""JSON lines in a local file, rotated by size."""

from __future__ import annotations

from modelmesh_cdk.base.observability import FileObservability


class FileSinkObservability(FileObservability):
    """Appends each record as one redacted JSON line to ``path`` (default
    ``modelmesh.log``), rotating the file past ``max_bytes`` and keeping ``backups``
    older files.

    The connector kit's file sink does the work: one writer per path in the process,
    shared by every sink writing there, so that concurrent writers and rotations never
    lose or split a line. The spellings of the configuration reference (``file_path``,
    ``max_file_size_bytes``, ``backup_count``) are accepted too.
    """
