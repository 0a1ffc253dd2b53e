"""OpenAI and every OpenAI-compatible API as configuration-only presets.

The ModelMesh provider connector openai.llm.v1 and its OpenAI-compatible family.
"""

from __future__ import annotations

from modelmesh_plugin_openai.connector import PROVIDERS, OpenAIPresetProvider, OpenAIProvider
from modelmesh_plugin_openai.presets import PRESETS, Preset

__all__ = ["PRESETS", "PROVIDERS", "OpenAIPresetProvider", "OpenAIProvider", "Preset"]
__version__ = "0.1.0"
