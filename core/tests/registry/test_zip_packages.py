"""Zip connector packages: validated member by member before any code runs.

Every hostile archive below also holds a module that would leave a marker file if it
were ever executed; each refusal checks that it was not and that nothing was written.
"""

from __future__ import annotations

import re
import stat
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from modelmesh.errors import PackageError
from modelmesh.packages import PackageLimits
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry


def write_zip(
    path: Path, files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def files_in(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in folder.rglob("*")}


def test_zip_package_registers_its_connectors(package_registry, package_files, tmp_path):
    package = package_files()
    archive = write_zip(tmp_path / "pkg.zip", package.files)

    ids = package_registry.load_package(str(archive))

    assert ids == package.ids
    assert package_registry.create(package.ids[0]).greeting == "hello"


def test_zip_modules_are_imported_from_the_archive_without_extracting(
    package_registry, package_files, tmp_path
):
    package = package_files()
    archive = write_zip(tmp_path / "pkg.zip", package.files)
    before, path_before = files_in(tmp_path), list(sys.path)

    package_registry.load_package(str(archive))

    provider = sys.modules[f"{package.module}.provider"]
    assert provider.__file__.startswith(str(archive.resolve()))
    assert files_in(tmp_path) - before == {package.marker}
    assert sys.path == path_before


def test_zip_package_loaded_twice_runs_once(package_registry, package_files, tmp_path):
    package = package_files()
    archive = write_zip(tmp_path / "pkg.zip", package.files)

    assert package_registry.load_package(str(archive)) == package_registry.load_package(
        str(archive)
    )
    assert len(package_registry.plugin_manager.get_plugins()) == 1


# --- hostile archives ---------------------------------------------------------------


def absolute_path(path, files):
    return write_zip(path, {**files, "/tmp/evil.py": "x = 1\n"}), "absolute paths"


def parent_segment(path, files):
    return write_zip(path, {**files, "pkg/../../evil.py": "x = 1\n"}), "'..' segments"


def backslash(path, files):
    return write_zip(path, {**files, "pkg\\evil.py": "x = 1\n"}), "backslashes"


def drive_letter(path, files):
    return write_zip(path, {**files, "C:/evil.py": "x = 1\n"}), "drive letters"


def symlink_member(path, files):
    write_zip(path, files)
    link = zipfile.ZipInfo("link.py")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(link, "/etc/passwd")
    return path, "symbolic link"


def duplicate_names(path, files):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        write_zip(path, {**files})
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("modelmesh-package.toml", "[package]\n")
    return path, "occurs twice"


def encrypted_member(path, files):
    write_zip(path, files)
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit of every member, in local and central headers.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_offset] |= 0x01
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path, "encrypted"


def bzip2_member(path, files):
    write_zip(path, {**files, "data.txt": "x" * 100}, compression=zipfile.ZIP_BZIP2)
    return path, "compression method"


def bomb_like_ratio(path, files):
    return write_zip(path, {**files, "zeros.bin": b"\0" * (5 * 1024 * 1024)}), "ratio"


def corrupt_member(path, files):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("data.txt", "CORRUPTME" * 10)
    path.write_bytes(path.read_bytes().replace(b"CORRUPTME", b"CORRUPTYOU"[:9], 1))
    return path, "corrupt"


def missing_manifest(path, files):
    return write_zip(path, {k: v for k, v in files.items() if "toml" not in k}), "no modelmesh"


def not_a_zip(path, files):
    path.write_bytes(b"PK\x03\x04 not really a zip file")
    return path, "not a valid zip"


HOSTILE = [
    absolute_path,
    parent_segment,
    backslash,
    drive_letter,
    symlink_member,
    duplicate_names,
    encrypted_member,
    bzip2_member,
    bomb_like_ratio,
    corrupt_member,
    missing_manifest,
    not_a_zip,
]


@pytest.mark.parametrize("build", HOSTILE, ids=lambda f: f.__name__)
def test_hostile_zip_is_refused_with_nothing_run_or_written(
    package_registry, package_files, tmp_path, cache_dir, build
):
    package = package_files()
    archive, reason = build(tmp_path / "hostile.zip", package.files)
    before = files_in(tmp_path)

    with pytest.raises(PackageError, match=re.escape(reason)):
        package_registry.load_package(str(archive))

    assert not package.marker.exists()
    assert files_in(tmp_path) == before
    assert list(cache_dir.iterdir()) == []
    assert package.module not in sys.modules
    assert package_registry.list_connectors() == []


@pytest.mark.parametrize(
    ("limits", "extra", "reason"),
    [
        (PackageLimits(max_members=3), {}, "4 members, more than the limit of 3"),
        (PackageLimits(max_member_size=1000), {"big.bin": "y" * 2000}, "2000 bytes"),
        (
            PackageLimits(max_total_size=3000),
            {"a.txt": "a" * 1000, "b.txt": "b" * 1000, "c.txt": "c" * 1000},
            "uncompressed",
        ),
    ],
    ids=["too-many-members", "member-too-large", "total-too-large"],
)
def test_zip_over_a_cap_is_refused_with_nothing_run(
    package_files, tmp_path, cache_dir, limits, extra, reason
):
    registry = ConnectorRegistry(
        plugin_filter=PluginFilter(),
        load_entry_points=False,
        package_cache_dir=cache_dir,
        limits=limits,
    )
    package = package_files()
    archive = write_zip(tmp_path / "big.zip", {**package.files, **extra})

    with pytest.raises(PackageError, match=re.escape(reason)):
        registry.load_package(str(archive))

    assert not package.marker.exists()
    assert list(cache_dir.iterdir()) == []
