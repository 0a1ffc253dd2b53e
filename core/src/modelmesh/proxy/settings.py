"""What the proxy serves and to whom: the ``proxy:`` YAML section with flags on top."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import attrs

from modelmesh.config.schema import MeshConfig, ProxyEndpoint
from modelmesh.errors import ConfigurationError

__all__ = ["ProxySettings", "is_loopback"]


def _tokens_repr(tokens: tuple[str, ...]) -> str:
    return f"<{len(tokens)} token(s)>"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach; a name other than localhost is not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@attrs.frozen(kw_only=True)
class ProxySettings:
    """The server's settings. A non-loopback host without a token is refused here, so no
    way of building the settings can expose an open proxy to the network."""

    host: str = "127.0.0.1"
    port: int = attrs.field(
        default=8080,
        validator=attrs.validators.and_(attrs.validators.ge(0), attrs.validators.le(65535)),
    )
    endpoints: frozenset[ProxyEndpoint] = attrs.field(
        default=frozenset(ProxyEndpoint), converter=frozenset
    )
    tokens: tuple[str, ...] = attrs.field(default=(), converter=tuple, repr=_tokens_repr)
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        if any(not token for token in self.tokens):
            raise ConfigurationError("an empty proxy token was given; every token needs a value")
        if not self.tokens and not is_loopback(self.host):
            raise ConfigurationError(
                f"refusing to serve on {self.host!r} without authentication: anyone who can "
                "reach that address could spend your provider credits. Give a token "
                "(--token TOKEN, or proxy.auth.enabled: true with proxy.auth.tokens in the "
                "YAML), or bind to 127.0.0.1"
            )

    @classmethod
    def from_config(
        cls,
        config: MeshConfig,
        *,
        host: str | None = None,
        port: int | None = None,
        tokens: Sequence[str] | None = None,
    ) -> ProxySettings:
        """The YAML's ``proxy:`` section; each argument given replaces its YAML value."""
        section = config.proxy
        configured = section.auth.tokens if section.auth.enabled else ()
        return cls(
            host=host if host is not None else section.host,
            port=port if port is not None else section.port,
            endpoints=section.endpoints,
            tokens=tuple(tokens) if tokens else configured,
            cors_origins=section.cors.origins if section.cors.enabled else (),
        )
