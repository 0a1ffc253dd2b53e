"""A loopback address that refuses connections, for "provider unreachable" tests."""

from __future__ import annotations

import socket


def refusing_url() -> str:
    """``http://127.0.0.1:PORT`` where nothing listens: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
