"""Connector packages: a directory, a zip file or a pinned https URL of one.

A package holds ordinary plugin modules plus a manifest, ``modelmesh-package.toml``,
at its root. A package is code from outside the installed environment, so nothing in
it runs before it has been checked: every zip member is validated from the central
directory and then read once (verifying CRCs and sizes) before the first import, a
URL must carry a sha256 pin that is verified before anything is written, and modules
are imported straight from the package root without touching ``sys.path`` or
extracting anything.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import io
import os
import re
import stat
import sys
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from modelmesh.connector_ids import parse_connector_id
from modelmesh.errors import InvalidConnectorIdError, PackageError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.redaction import redact_url

if TYPE_CHECKING:
    import ssl

MANIFEST_NAME = "modelmesh-package.toml"
_MiB = 1024 * 1024
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PIN = re.compile(r"^sha256=([0-9a-f]{64})$")
_DRIVE = re.compile(r"^[A-Za-z]:")
# zipimport reads only stored and deflated members.
_IMPORTABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
# Tiny members compress unpredictably and cannot amplify much; the ratio cap is for
# members big enough to matter.
_RATIO_FLOOR = 64 * 1024
_CHUNK = 64 * 1024


@attrs.frozen
class PackageLimits:
    """Caps applied to zip and URL packages before any of their code runs."""

    max_members: int = 1000
    max_member_size: int = 10 * _MiB
    max_total_size: int = 50 * _MiB
    max_ratio: float = 100.0
    max_download: int = 20 * _MiB


@attrs.frozen
class ManifestConnector:
    """One ``[[connectors]]`` entry: which module registers which connector."""

    id: str
    connector_type: ConnectorType
    module: str


@attrs.frozen
class Manifest:
    """The parsed ``modelmesh-package.toml``."""

    name: str
    version: str
    description: str
    connectors: tuple[ManifestConnector, ...]


@attrs.frozen
class Package:
    """A validated package, ready to import from.

    ``root`` is the import path entry (a directory or a zip file); ``key`` identifies
    the package's content location so loading it twice is a no-op; ``location`` is
    what to show the user.
    """

    location: str
    root: str
    key: str
    manifest: Manifest


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where downloaded packages are kept: $MODELMESH_CACHE_DIR, else the XDG cache."""
    env = os.environ if environ is None else environ
    if env.get("MODELMESH_CACHE_DIR"):
        return Path(env["MODELMESH_CACHE_DIR"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modelmesh" / "packages"


def open_package(
    path: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    verify: ssl.SSLContext | bool = True,
    limits: PackageLimits | None = None,
) -> Package:
    """Validate the package at ``path`` (directory, zip file or https URL).

    Nothing from the package has run when this returns; only a URL package has been
    written, to the cache, after its digest matched the pin.
    """
    limits = limits or PackageLimits()
    if "://" in path:
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        archive = fetch_url_package(path, cache_dir=cache, verify=verify, limits=limits)
        manifest = _validated_zip(archive, limits, str(archive))
        return Package(redact_url(path), str(archive), str(archive), manifest)
    local = Path(path).expanduser()
    if local.is_dir():
        root = local.resolve()
        _refuse_escaping_links(root)
        manifest = parse_manifest(_read_manifest_file(root), str(root / MANIFEST_NAME))
        return Package(str(local), str(root), str(root), manifest)
    if local.is_file():
        root = local.resolve()
        return Package(str(local), str(root), str(root), _validated_zip(root, limits, str(local)))
    raise PackageError(
        f"connector package {path!r} not found: give a directory, a .zip file or an https URL"
    )


# --- manifest -----------------------------------------------------------------------


def parse_manifest(data: bytes, where: str) -> Manifest:
    """Parse and check a manifest; every error names the file and the key."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PackageError(f"{where}: not valid TOML: {exc}") from exc
    package = document.get("package")
    if not isinstance(package, dict):
        raise PackageError(f"{where}: missing [package] table with name and version")
    name = _string(package, "name", f"{where}: package.name")
    version = _string(package, "version", f"{where}: package.version")
    description = _string(package, "description", f"{where}: package.description", default="")
    entries = document.get("connectors")
    if not isinstance(entries, list) or not entries:
        raise PackageError(
            f"{where}: connectors: expected at least one [[connectors]] table with id, type "
            "and module"
        )
    connectors: list[ManifestConnector] = []
    for index, entry in enumerate(entries):
        at = f"{where}: connectors[{index}]"
        if not isinstance(entry, dict):
            raise PackageError(f"{at}: expected a table with id, type and module")
        connector = _manifest_connector(entry, at)
        if any(
            (c.connector_type, c.id) == (connector.connector_type, connector.id) for c in connectors
        ):
            raise PackageError(f"{at}.id: {connector.id!r} is declared twice")
        connectors.append(connector)
    return Manifest(name, version, description, tuple(connectors))


def _manifest_connector(entry: dict[str, Any], at: str) -> ManifestConnector:
    type_text = _string(entry, "type", f"{at}.type")
    try:
        kind = ConnectorType.parse(type_text)
    except ValueError as exc:
        raise PackageError(f"{at}.type: {exc}") from exc
    try:
        parsed = parse_connector_id(_string(entry, "id", f"{at}.id"))
    except InvalidConnectorIdError as exc:
        raise PackageError(f"{at}.id: {exc.message}") from exc
    if parsed.connector_type not in (None, kind):
        raise PackageError(
            f"{at}.id: names a {parsed.connector_type.value} connector but type is {kind.value!r}"
        )
    module = _string(entry, "module", f"{at}.module")
    if not _MODULE_NAME.match(module):
        raise PackageError(
            f"{at}.module: expected a dotted module name such as "
            f"'acme_connectors.provider', got {module!r}"
        )
    return ManifestConnector(parsed.id, kind, module)


def _string(table: dict[str, Any], key: str, at: str, *, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise PackageError(f"{at}: required key is missing")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise PackageError(f"{at}: expected a non-empty string, got {value!r}")
    return value


# --- directory packages -------------------------------------------------------------


def _read_manifest_file(root: Path) -> bytes:
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        raise PackageError(f"{root}: no {MANIFEST_NAME} at the package root")
    return manifest.read_bytes()


def _refuse_escaping_links(root: Path) -> None:
    """A directory package may hold symlinks only to places inside itself."""
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        for name in (*dirnames, *filenames):
            path = Path(directory, name)
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                raise PackageError(
                    f"{root}: {path.relative_to(root)} is a symlink to "
                    f"{os.readlink(path)}, outside the package"
                )


# --- zip packages -------------------------------------------------------------------


def _validated_zip(
    source: str | os.PathLike[str] | IO[bytes], limits: PackageLimits, where: str
) -> Manifest:
    """Check every member of a zip package and return its manifest.

    First the central directory (names, links, encryption, sizes, ratio), then one
    bounded read of every member so CRCs and declared sizes are verified; only then
    is the manifest parsed.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            _check_central_directory(members, limits, where)
            manifest = b""
            for member in members:
                data = _read_member(archive, member, limits, where)
                if member.filename == MANIFEST_NAME:
                    manifest = data
    except zipfile.BadZipFile as exc:
        raise PackageError(f"{where}: not a valid zip file: {exc}") from exc
    return parse_manifest(manifest, f"{where}!{MANIFEST_NAME}")


def _check_central_directory(
    members: list[zipfile.ZipInfo], limits: PackageLimits, where: str
) -> None:
    if len(members) > limits.max_members:
        raise PackageError(
            f"{where}: {len(members)} members, more than the limit of {limits.max_members}"
        )
    seen: set[str] = set()
    total = 0
    for member in members:
        name = member.filename
        problem = _name_problem(name)
        if problem:
            raise PackageError(f"{where}: member {name!r} refused: {problem}")
        if name in seen:
            raise PackageError(f"{where}: member {name!r} refused: the name occurs twice")
        seen.add(name)
        if stat.S_ISLNK(member.external_attr >> 16):
            raise PackageError(f"{where}: member {name!r} refused: it is a symbolic link")
        if member.flag_bits & 0x1:
            raise PackageError(f"{where}: member {name!r} refused: it is encrypted")
        if member.compress_type not in _IMPORTABLE_METHODS:
            raise PackageError(
                f"{where}: member {name!r} refused: compression method {member.compress_type} "
                "(only stored and deflated members can be imported)"
            )
        if member.file_size > limits.max_member_size:
            raise PackageError(
                f"{where}: member {name!r} refused: {member.file_size} bytes, more than the "
                f"limit of {limits.max_member_size}"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            raise PackageError(
                f"{where}: member {name!r} refused: compression ratio {ratio:.0f}, more than "
                f"the limit of {limits.max_ratio:g}"
            )
        total += member.file_size
        if total > limits.max_total_size:
            raise PackageError(
                f"{where}: more than {limits.max_total_size} bytes uncompressed, the limit"
            )
    if MANIFEST_NAME not in seen:
        raise PackageError(f"{where}: no {MANIFEST_NAME} at the root of the zip file")


def _name_problem(name: str) -> str | None:
    if "\x00" in name:
        return "the name holds a NUL character"
    if "\\" in name:
        return "backslashes are not allowed in member names"
    if name.startswith("/"):
        return "absolute paths are not allowed"
    if _DRIVE.match(name):
        return "drive letters are not allowed"
    segments = name.removesuffix("/").split("/")
    if ".." in segments:
        return "'..' segments are not allowed"
    if any(segment in ("", ".") for segment in segments):
        return "empty or '.' path segments are not allowed"
    return None


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: PackageLimits, where: str
) -> bytes:
    """Read a member once, never more than its declared size (zipfile checks the CRC)."""
    if member.is_dir():
        return b""
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > member.file_size or size > limits.max_member_size:
                    raise PackageError(
                        f"{where}: member {member.filename!r} is larger than declared"
                    )
                if member.filename == MANIFEST_NAME:
                    chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
        raise PackageError(f"{where}: member {member.filename!r} is corrupt: {exc}") from exc
    if size != member.file_size:
        raise PackageError(f"{where}: member {member.filename!r} is shorter than declared")
    return b"".join(chunks)


# --- URL packages -------------------------------------------------------------------


def fetch_url_package(
    url: str, *, cache_dir: Path, verify: ssl.SSLContext | bool, limits: PackageLimits
) -> Path:
    """Return the cached zip for a pinned https URL, downloading it if needed.

    The download is capped while streaming and its sha256 is checked, and the zip
    validated, before the file is written; the file is then stored atomically as
    ``<sha256>.zip`` so a later load needs no network.
    """
    shown = redact_url(url)
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise PackageError(f"{shown}: connector packages are fetched over https only")
    match = _PIN.match(parts.fragment)
    if match is None:
        raise PackageError(
            f"{shown}: a URL package needs a sha256 pin; append '#sha256=<64 hex digits>' to the "
            "URL (compute it with 'sha256sum package.zip')"
        )
    expected = match.group(1)
    target = cache_dir / f"{expected}.zip"
    if target.is_file() and _sha256_of_file(target) == expected:
        return target
    data = _download(urlunsplit(parts._replace(fragment="")), shown, verify, limits.max_download)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise PackageError(
            f"{shown}: sha256 mismatch: expected {expected}, got {actual}; nothing was stored"
        )
    _validated_zip(io.BytesIO(data), limits, shown)
    _write_atomically(target, data)
    return target


def _download(url: str, shown: str, verify: ssl.SSLContext | bool, cap: int) -> bytes:
    import httpx  # only URL packages need it

    def https_only(request: httpx.Request) -> None:
        if request.url.scheme != "https":
            raise PackageError(f"{shown}: redirected to a non-https URL; refused")

    body = bytearray()
    try:
        with (
            httpx.Client(
                verify=verify,
                timeout=30.0,
                follow_redirects=True,
                event_hooks={"request": [https_only]},
            ) as client,
            client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as response,
        ):
            response.raise_for_status()
            if response.headers.get("content-encoding", "identity") != "identity":
                raise PackageError(f"{shown}: the server sent an encoded body; refused")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise PackageError(
                    f"{shown}: {declared} bytes, more than the download limit of {cap}"
                )
            for chunk in response.iter_raw():
                body += chunk
                if len(body) > cap:
                    raise PackageError(f"{shown}: download aborted past the limit of {cap} bytes")
    except httpx.HTTPError as exc:
        raise PackageError(f"{shown}: download failed: {exc}") from exc
    return bytes(body)


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(target: Path, data: bytes) -> None:
    """Temp file, fsync, rename: a crash leaves either nothing or the whole file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- importing ----------------------------------------------------------------------


def import_package_module(package: Package, module_name: str) -> ModuleType:
    """Import ``module_name`` from the package root without touching ``sys.path``.

    The top-level module is found with PathFinder on the root alone (a directory or,
    through zipimport, a zip file) and put in ``sys.modules`` so its submodules import
    normally. A module of that name already imported from elsewhere is refused rather
    than shadowed.
    """
    top = module_name.partition(".")[0]
    existing = sys.modules.get(top)
    if existing is not None:
        if not _imported_from(existing, package.root):
            raise PackageError(
                f"{package.location}: cannot import {top!r}: a module of that name is already "
                f"imported from {_module_location(existing)}; rename the package's module"
            )
    else:
        spec = importlib.machinery.PathFinder.find_spec(top, [package.root])
        if spec is None or spec.loader is None:
            raise PackageError(f"{package.location}: module {top!r} not found in the package")
        module = importlib.util.module_from_spec(spec)
        sys.modules[top] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(top, None)
            if not isinstance(exc, Exception):
                raise
            raise PackageError(
                f"{package.location}: importing module {top!r} failed: {exc!r}"
            ) from exc
    try:
        return importlib.import_module(module_name)
    except Exception as exc:
        raise PackageError(
            f"{package.location}: importing module {module_name!r} failed: {exc!r}"
        ) from exc


def _imported_from(module: ModuleType, root: str) -> bool:
    prefix = os.path.join(os.path.normcase(root), "")
    locations = [getattr(module, "__file__", None), *getattr(module, "__path__", ())]
    return any(loc and os.path.normcase(str(loc)).startswith(prefix) for loc in locations)


def _module_location(module: ModuleType) -> str:
    return str(getattr(module, "__file__", None) or list(getattr(module, "__path__", ())) or "?")
