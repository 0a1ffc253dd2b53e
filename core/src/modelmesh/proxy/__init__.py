"""The OpenAI-compatible HTTP proxy (extra ``modelmesh-core[proxy]``).

Nothing in ``import modelmesh`` imports this package: only ``modelmesh serve`` and code
that asks for it pay for the server stack. Importing it without the extra raises a
ConfigurationError naming the package to install.
"""

from modelmesh.proxy.app import ProxyApp, create_app
from modelmesh.proxy.server import ProxyServer
from modelmesh.proxy.settings import ProxySettings

__all__ = ["ProxyApp", "ProxyServer", "ProxySettings", "create_app"]
