"""HttpClientMixin over TLS, as every real provider is reached: a local HTTPS server with
a certificate from a test CA that the client is told to trust (``SSL_CERT_FILE``), and
one whose certificate names another host."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trustme

from modelmesh_cdk.http_senders import shared_ssl_context
from modelmesh_cdk.mixins.http_client import HttpClientMixin


class Client(HttpClientMixin):
    def __init__(self, base_url: str) -> None:
        self._init_http_client(base_url, timeout=5.0, max_retries=0)


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[trustme.CA]:
    """A CA the client trusts; the shared SSL context is rebuilt around the test."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    shared_ssl_context.cache_clear()
    yield authority
    shared_ssl_context.cache_clear()


@asynccontextmanager
async def https_server(
    ca: trustme.CA, name: str, connections: list[int], hosts: list[str]
) -> AsyncIterator[int]:
    """Answers every request on a kept-alive connection with its path as JSON; counts
    connections and records each request's Host header."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                for line in lines[1:]:
                    if line.lower().startswith("host:"):
                        hosts.append(line.partition(":")[2].strip())
                body = json.dumps({"path": lines[0].split()[1]}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def test_https_requests_reach_the_server_on_one_verified_connection(ca):
    connections: list[int] = []
    hosts: list[str] = []

    async def main() -> list[object]:
        async with https_server(ca, "localhost", connections, hosts) as port:
            client = Client(f"https://localhost:{port}")
            try:
                return [await client._http_get(f"/v1/{n}") for n in range(3)]
            finally:
                await client._close_http_client()

    answers = asyncio.run(main())
    assert answers == [{"path": f"/v1/{n}"} for n in range(3)]
    assert len(connections) == 1
    assert hosts == [hosts[0]] * 3
    assert hosts[0].startswith("localhost:")


def test_a_certificate_for_another_host_is_refused(ca):
    async def main() -> None:
        async with https_server(ca, "api.example.com", [], []) as port:
            client = Client(f"https://localhost:{port}")
            try:
                await client._http_get("/v1/models")
            finally:
                await client._close_http_client()

    with pytest.raises(httpx.ConnectError) as caught:
        asyncio.run(main())
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)


def test_a_certificate_from_an_untrusted_authority_is_refused(ca):
    other = trustme.CA()

    async def main() -> None:
        async with https_server(other, "localhost", [], []) as port:
            client = Client(f"https://localhost:{port}")
            try:
                await client._http_get("/v1/models")
            finally:
                await client._close_http_client()

    with pytest.raises(httpx.ConnectError):
        asyncio.run(main())
