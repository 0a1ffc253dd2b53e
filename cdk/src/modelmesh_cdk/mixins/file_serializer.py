"""JSON, YAML and msgpack encoding, and file writes that survive a crash.

Storage connectors persist state that must never be found half written: a crash
during a save leaves either the old file or the new one. ``_atomic_write`` writes a
temporary file next to the target, makes it durable, renames it over the target and
then makes the rename itself durable by syncing the directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from typing import Any

import msgpack
import yaml

from modelmesh.interfaces.storage import SerializationFormat

__all__ = ["FileSerializerMixin", "SerializationFormat"]

NEW_FILE_MODE = 0o644
"""Permissions of a file that did not exist before: what a plain ``open`` gives under
the usual umask, not the owner-only mode of a temporary file."""

StrPath = str | os.PathLike[str]


class FileSerializerMixin:
    """Encode data as bytes, decode it back, and write and read whole files."""

    def _serialize(
        self, data: Any, format: SerializationFormat = SerializationFormat.JSON
    ) -> bytes:
        """Encode data; ValueError when it cannot be represented in that format."""
        try:
            if format is SerializationFormat.JSON:
                return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
            if format is SerializationFormat.YAML:
                # Non-ASCII stays escaped: written raw, PyYAML reads U+0085 back as a space.
                text = yaml.safe_dump(data, default_flow_style=False, sort_keys=False)
                return text.encode("utf-8")
            if format is SerializationFormat.MSGPACK:
                return msgpack.packb(data, use_bin_type=True)
        except (TypeError, ValueError, OverflowError, yaml.YAMLError) as error:
            raise ValueError(f"cannot serialize the data as {format.value}: {error}") from error
        raise ValueError(f"unsupported serialization format: {format!r}")

    def _deserialize(
        self, raw: bytes, format: SerializationFormat = SerializationFormat.JSON
    ) -> Any:
        """Decode bytes written by ``_serialize``; ValueError when they are not valid."""
        try:
            if format is SerializationFormat.JSON:
                return json.loads(raw.decode("utf-8"))
            if format is SerializationFormat.YAML:
                return yaml.safe_load(raw.decode("utf-8"))
            if format is SerializationFormat.MSGPACK:
                return msgpack.unpackb(raw, raw=False)
        except (ValueError, yaml.YAMLError, msgpack.UnpackException) as error:
            raise ValueError(f"cannot read the data as {format.value}: {error}") from error
        raise ValueError(f"unsupported serialization format: {format!r}")

    def _atomic_write(self, path: StrPath, data: bytes) -> None:
        """Replace the file at path with data, all or nothing, durably.

        An existing file keeps its permissions; a new one gets ``NEW_FILE_MODE``. On
        any failure the target is untouched and no temporary file is left behind.
        """
        target = os.path.abspath(path)
        directory = os.path.dirname(target)
        os.makedirs(directory, exist_ok=True)
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        fd, temporary = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
        )
        try:
            try:
                _write_all(fd, data)
                os.chmod(temporary, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(directory)

    def _read_file(self, path: StrPath) -> bytes:
        """The whole file; FileNotFoundError when it does not exist."""
        with open(path, "rb") as file:
            return file.read()


def _write_all(fd: int, data: bytes) -> None:
    # os.write may write fewer bytes than asked (signals, pipes, full disks).
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: str) -> None:
    """Make a rename in directory durable (POSIX; a no-op where directories cannot be
    opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (PermissionError, IsADirectoryError):
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
