"""URL connector packages: https only, sha256-pinned, size-capped, cached by digest.

Served by a real HTTPS server on 127.0.0.1 whose certificate comes from a test CA.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import ssl
import threading
import zipfile
from collections.abc import Iterator

import pytest
import trustme

from modelmesh.errors import PackageError
from modelmesh.packages import PackageLimits, default_cache_dir
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry


class PackageServer:
    """An HTTPS server that serves ``routes`` (path -> body) and counts requests."""

    def __init__(self, ca: trustme.CA) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.socket = server_context.wrap_socket(self.httpd.socket, server_side=True)
        # A short poll interval keeps shutdown (and so each test) quick.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()
        self.running = True

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()
            self.running = False

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:9/pkg.zip")
                    self.end_headers()
                    return
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                if not self.path.startswith("/unsized/"):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client hangs up past its download cap, as it should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_context(ca) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def server(ca) -> Iterator[PackageServer]:
    server = PackageServer(ca)
    yield server
    server.stop()


@pytest.fixture
def make_registry(cache_dir, client_context):
    def build(**kwargs) -> ConnectorRegistry:
        kwargs.setdefault("limits", PackageLimits())
        return ConnectorRegistry(
            plugin_filter=PluginFilter(),
            load_entry_points=False,
            package_cache_dir=cache_dir,
            verify=client_context,
            **kwargs,
        )

    return build


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_pinned_https_package_loads_and_registers(server, make_registry, package_files, cache_dir):
    package = package_files()
    body = zip_bytes(package.files)
    server.routes["/pkg.zip"] = body
    registry = make_registry()

    ids = registry.load_package(server.url(f"/pkg.zip#sha256={sha256(body)}"))

    assert ids == package.ids
    assert registry.create(package.ids[0]).greeting == "hello"
    assert [p.name for p in cache_dir.iterdir()] == [f"{sha256(body)}.zip"]


def test_cached_package_is_reused_without_the_network(
    server, make_registry, package_files, cache_dir
):
    package = package_files()
    body = zip_bytes(package.files)
    server.routes["/pkg.zip"] = body
    url = server.url(f"/pkg.zip#sha256={sha256(body)}")
    make_registry().load_package(url)
    server.stop()

    second = make_registry()

    assert second.load_package(url) == package.ids
    assert second.create(package.ids[0]).options == {}
    assert server.requests == ["/pkg.zip"]


def test_url_without_a_pin_is_refused_with_how_to_add_one(server, make_registry, package_files):
    server.routes["/pkg.zip"] = zip_bytes(package_files().files)

    with pytest.raises(PackageError, match="#sha256="):
        make_registry().load_package(server.url("/pkg.zip"))
    assert server.requests == []


def test_wrong_digest_is_refused_naming_both_digests(
    server, make_registry, package_files, cache_dir
):
    package = package_files()
    body = zip_bytes(package.files)
    server.routes["/pkg.zip"] = body
    wrong = "0" * 64

    with pytest.raises(PackageError) as caught:
        make_registry().load_package(server.url(f"/pkg.zip#sha256={wrong}"))

    assert f"expected {wrong}" in str(caught.value)
    assert f"got {sha256(body)}" in str(caught.value)
    assert list(cache_dir.iterdir()) == []
    assert not package.marker.exists()


def test_plain_http_is_refused(make_registry):
    with pytest.raises(PackageError, match="https only"):
        make_registry().load_package(f"http://127.0.0.1:9/pkg.zip#sha256={'0' * 64}")


def test_redirect_to_plain_http_is_refused(server, make_registry, cache_dir):
    with pytest.raises(PackageError, match="non-https"):
        make_registry().load_package(server.url(f"/redirect/pkg.zip#sha256={'0' * 64}"))
    assert list(cache_dir.iterdir()) == []


def test_download_over_the_cap_is_aborted_while_streaming(
    server, make_registry, cache_dir, package_files
):
    package = package_files()
    body = zip_bytes({**package.files, "filler.bin": "z" * 1}) + b"\0" * 200_000
    server.routes["/unsized/pkg.zip"] = body
    registry = make_registry(limits=PackageLimits(max_download=64 * 1024))

    with pytest.raises(PackageError, match="aborted past the limit of 65536"):
        registry.load_package(server.url(f"/unsized/pkg.zip#sha256={sha256(body)}"))
    assert list(cache_dir.iterdir()) == []
    assert not package.marker.exists()


def test_declared_oversize_download_is_refused_before_reading(
    server, make_registry, cache_dir, package_files
):
    body = zip_bytes(package_files().files) + b"\0" * 200_000
    server.routes["/pkg.zip"] = body
    registry = make_registry(limits=PackageLimits(max_download=64 * 1024))

    with pytest.raises(PackageError, match="more than the download limit"):
        registry.load_package(server.url(f"/pkg.zip#sha256={sha256(body)}"))
    assert list(cache_dir.iterdir()) == []


def test_untrusted_certificate_is_refused(server, cache_dir, package_files):
    body = zip_bytes(package_files().files)
    server.routes["/pkg.zip"] = body
    registry = ConnectorRegistry(
        plugin_filter=PluginFilter(), load_entry_points=False, package_cache_dir=cache_dir
    )

    with pytest.raises(PackageError, match="download failed"):
        registry.load_package(server.url(f"/pkg.zip#sha256={sha256(body)}"))
    assert list(cache_dir.iterdir()) == []


def test_hostile_zip_behind_a_correct_pin_is_not_stored(
    server, make_registry, cache_dir, package_files
):
    package = package_files()
    body = zip_bytes({**package.files, "../evil.py": "x = 1\n"})
    server.routes["/pkg.zip"] = body

    with pytest.raises(PackageError, match=r"'\.\.' segments"):
        make_registry().load_package(server.url(f"/pkg.zip#sha256={sha256(body)}"))
    assert list(cache_dir.iterdir()) == []
    assert not package.marker.exists()


def test_cache_directory_follows_the_environment(tmp_path):
    assert default_cache_dir({"MODELMESH_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "modelmesh" / "packages"
    )
    assert default_cache_dir({}).parts[-3:] == (".cache", "modelmesh", "packages")
