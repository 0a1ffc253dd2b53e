from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh.interfaces.storage import SerializationFormat
from modelmesh_cdk.mixins.file_serializer import NEW_FILE_MODE, FileSerializerMixin

serializer = FileSerializerMixin()

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize("format", list(SerializationFormat))
@settings(deadline=None)
@given(data=JSON_LIKE)
def test_data_survives_a_round_trip(format, data):
    assert serializer._deserialize(serializer._serialize(data, format), format) == data


def test_json_is_the_default_format():
    assert serializer._deserialize(serializer._serialize({"a": [1, 2]})) == {"a": [1, 2]}


@pytest.mark.parametrize("format", list(SerializationFormat))
def test_data_the_format_cannot_hold_is_a_value_error(format):
    with pytest.raises(ValueError, match=f"cannot serialize the data as {format.value}"):
        serializer._serialize({"when": object()}, format)


@pytest.mark.parametrize("format", list(SerializationFormat))
def test_garbage_is_a_value_error(format):
    with pytest.raises(ValueError, match=f"cannot read the data as {format.value}"):
        serializer._deserialize(b"\xc1{[: \x00", format)


def test_an_atomic_write_replaces_the_content(tmp_path: Path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    serializer._atomic_write(target, b"new")
    assert serializer._read_file(target) == b"new"


def test_an_atomic_write_creates_missing_directories(tmp_path: Path):
    target = tmp_path / "a" / "b" / "state.json"
    serializer._atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_a_partial_os_write_still_writes_every_byte(tmp_path: Path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    serializer._atomic_write(tmp_path / "state", b"0123456789")
    assert (tmp_path / "state").read_bytes() == b"0123456789"


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def refuse(*_args):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk on fire"):
        serializer._atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def fail(*_args):
        raise OSError("no space left")

    monkeypatch.setattr(os, "write", fail)
    with pytest.raises(OSError, match="no space left"):
        serializer._atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["state.json"]


def test_the_file_and_its_directory_are_synced(tmp_path: Path, monkeypatch):
    synced: list[bool] = []
    real_fsync = os.fsync

    def record(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    serializer._atomic_write(tmp_path / "state", b"data")
    assert synced == [False, True]


def test_an_existing_file_keeps_its_permissions(tmp_path: Path):
    target = tmp_path / "secret.json"
    target.write_bytes(b"old")
    target.chmod(0o600)
    serializer._atomic_write(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_new_file_is_readable_by_others(tmp_path: Path):
    target = tmp_path / "state.json"
    serializer._atomic_write(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == NEW_FILE_MODE


def test_reading_a_missing_file_raises_file_not_found(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        serializer._read_file(tmp_path / "absent")
