"""Anthropic Claude models through the Messages API.

The ModelMesh provider connector anthropic.claude.v1.
"""

from modelmesh_plugin_anthropic.connector import AnthropicProvider

__all__ = ["AnthropicProvider"]
__version__ = "0.1.0"
