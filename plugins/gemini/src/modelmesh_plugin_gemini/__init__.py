"""Google Gemini API (generateContent, streaming, embeddings, model listing).

The ModelMesh provider connector google.gemini.v1.
"""

from modelmesh_plugin_gemini.connector import GeminiProvider

__all__ = ["GeminiProvider"]
__version__ = "0.1.0"
