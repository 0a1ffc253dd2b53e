"""The capability tree: what a model can do, as dotted paths under seven roots.

Models declare leaves (``generation.text-generation.chat-completion``); a pool targets any
node and holds every model with a leaf under it; a requested name is resolved to the leaves
it stands for. Resolution runs on every routed request, so each tree caches the leaves of
every node it has been asked about and drops that cache when a path is registered.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ALIASES",
    "LEGACY_PATHS",
    "PREDEFINED_POOLS",
    "TAXONOMY",
    "TAXONOMY_LEAVES",
    "CapabilityTree",
    "canonical",
    "capabilities_match",
    "default_tree",
    "is_known",
    "list_all",
    "resolve",
    "search",
    "suggest",
    "tree",
]

TAXONOMY: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "generation": {
        "text-generation": ("chat-completion", "text-completion", "code-generation"),
        "structured-generation": (
            "json-generation",
            "schema-constrained-output",
            "function-call-generation",
        ),
        "image-generation": ("text-to-image", "image-to-image", "inpainting"),
        "audio-generation": ("text-to-speech", "music-generation"),
        "video-generation": ("text-to-video", "image-to-video"),
    },
    "understanding": {
        "text-understanding": (
            "summarization",
            "classification",
            "sentiment-analysis",
            "entity-extraction",
        ),
        "vision-understanding": ("image-captioning", "object-detection", "ocr"),
        "audio-understanding": ("speech-to-text", "speaker-identification", "audio-classification"),
        "document-understanding": ("document-parsing", "table-extraction", "form-extraction"),
    },
    "transformation": {
        "translation": (),
        "rewriting": (),
        "style-transfer": (),
        "image-editing": ("background-removal", "upscaling", "format-conversion"),
        "audio-processing": ("noise-reduction", "voice-cloning", "audio-separation"),
    },
    "representation": {
        "embeddings": ("text-embeddings", "image-embeddings", "multimodal-embeddings"),
        "tokenization": (),
        "feature-extraction": (),
    },
    "retrieval": {
        "search": ("semantic-search", "web-search", "image-search", "code-search"),
        "knowledge-graph": ("graph-query", "entity-linking", "relation-extraction"),
        "rag": ("retrieval-augmented-generation", "grounded-generation"),
        "reranking": (),
    },
    "interaction": {
        "tool-calling": (),
        "agent-execution": ("single-step-agent", "multi-step-agent"),
        "multi-turn-conversation": (),
    },
    "evaluation": {
        "content-moderation": (),
        "toxicity-detection": (),
        "factuality-checking": (),
        "quality-scoring": (),
    },
}
"""The seven roots, their subtrees and leaves; an empty tuple marks a subtree that is a leaf."""

TAXONOMY_LEAVES: tuple[str, ...] = tuple(
    f"{root}.{child}.{leaf}" if leaf else f"{root}.{child}"
    for root, children in TAXONOMY.items()
    for child, leaves in children.items()
    for leaf in leaves or ("",)
)

ALIASES: Mapping[str, str] = {
    "chat-completion": "generation.text-generation.chat-completion",
    "text-generation": "generation.text-generation",
    "code-generation": "generation.text-generation.code-generation",
    "text-embeddings": "representation.embeddings.text-embeddings",
    "text-to-speech": "generation.audio-generation.text-to-speech",
    "speech-to-text": "understanding.audio-understanding.speech-to-text",
    "text-to-image": "generation.image-generation.text-to-image",
    "image-to-text": "understanding.vision-understanding.image-captioning",
}
"""The eight short names. Where the old alias table pointed outside the taxonomy, the
alias points at the taxonomy leaf meaning the same thing (``image-to-text`` is captioning)."""

LEGACY_PATHS: Mapping[str, str] = {
    "generation.audio.text-to-speech": "generation.audio-generation.text-to-speech",
    "understanding.audio.speech-to-text": "understanding.audio-understanding.speech-to-text",
    "generation.image.text-to-image": "generation.image-generation.text-to-image",
    "representation.image.image-to-text": "understanding.vision-understanding.image-captioning",
}
"""Paths the old alias table used that contradict the taxonomy, kept working as aliases
of the taxonomy leaves."""

PREDEFINED_POOLS: Mapping[str, str] = {
    "text-generation": "generation.text-generation",
    "structured-generation": "generation.structured-generation",
    "image-generation": "generation.image-generation",
    "embeddings": "representation.embeddings",
    "speech-to-text": "understanding.audio-understanding.speech-to-text",
    "text-to-speech": "generation.audio-generation.text-to-speech",
    "vision-understanding": "understanding.vision-understanding",
}
"""Pool names that need no configuration, and the node each one targets."""


class _State:
    """One version of a tree: the nodes and what has been worked out from them."""

    __slots__ = ("children", "leaves", "short")

    def __init__(self, children: dict[str, tuple[str, ...]]) -> None:
        self.children = children
        self.leaves: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        self.short: dict[str, str] | None = None


class CapabilityTree:
    """A capability tree: nodes by dotted path, plus aliases.

    Reads take no lock: ``register`` builds a new state and swaps it in whole, so a
    resolution running concurrently sees either the old tree or the new one, and the
    leaf cache (keyed by node path, so bounded by the tree's size) goes with it.
    """

    def __init__(
        self,
        paths: Iterable[str] = TAXONOMY_LEAVES,
        *,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        """Start from ``paths`` (default: the taxonomy) and ``aliases`` (default: the
        eight short names and the legacy paths)."""
        self._lock = threading.Lock()
        self._state = _State({"": ()})
        self._aliases: dict[str, str] = {}
        for path in paths:
            self.register(path)
        for alias, path in ({**ALIASES, **LEGACY_PATHS} if aliases is None else aliases).items():
            self.add_alias(alias, path)

    def copy(self) -> CapabilityTree:
        """An independent tree with the same nodes and aliases (a mesh registers its
        models' custom paths in its own copy, never in the shared default tree)."""
        clone = CapabilityTree((), aliases={})
        clone._state = _State(dict(self._state.children))
        clone._aliases = dict(self._aliases)
        return clone

    # --- changing the tree ----------------------------------------------------------

    def register(self, path: str) -> None:
        """Add ``path`` and every node above it; a leaf with a new child stops being one."""
        segments = _segments(path)
        with self._lock:
            children = dict(self._state.children)
            parent = ""
            for index in range(len(segments)):
                node = ".".join(segments[: index + 1])
                if node not in children:
                    children[node] = ()
                    children[parent] = (*children[parent], node)
                parent = node
            if len(children) != len(self._state.children):
                self._state = _State(children)

    def add_alias(self, alias: str, path: str) -> None:
        """Make ``alias`` stand for the node ``path`` (registered if new)."""
        if not isinstance(alias, str) or not alias or alias != alias.strip():
            raise ValueError(f"an alias is a non-empty name without spaces, got {alias!r}")
        self.register(path)
        with self._lock:
            self._aliases = {**self._aliases, alias: path}

    # --- reading the tree -----------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The node path ``name`` stands for.

        An alias (short or legacy path) gives its path; a short name that is the last
        segment of exactly one node gives that node; any other name, dotted or not, is
        returned unchanged.
        """
        target = self._aliases.get(name)
        if target is not None:
            return target
        state = self._state
        if "." in name or name in state.children:
            return name
        return _short_names(state).get(name, name)

    def is_known(self, name: str) -> bool:
        """True when ``name`` (a path or an alias) names a node of this tree."""
        return bool(name) and self.canonical(name) in self._state.children

    def is_leaf(self, name: str) -> bool:
        """True when ``name`` names a node with nothing under it."""
        path = self.canonical(name)
        return bool(path) and self._state.children.get(path) == ()

    def resolve(self, name: str) -> list[str]:
        """The leaf paths ``name`` stands for: ``[path]`` for a leaf, every leaf under a
        node (sorted), ``[]`` for an unknown name. Aliases are resolved first."""
        return list(self._cached(name)[0])

    def leaves(self, name: str) -> tuple[str, ...]:
        """``resolve`` as a shared tuple, for callers that only read it."""
        return self._cached(name)[0]

    def leaf_set(self, name: str) -> frozenset[str]:
        """``resolve`` as a shared frozenset, for membership and intersection tests."""
        return self._cached(name)[1]

    def matches(self, node: str, capabilities: Iterable[str]) -> bool:
        """True when any of ``capabilities`` resolves to a leaf under ``node``: the test
        for a model belonging to a pool that targets ``node``."""
        wanted = self.leaf_set(node)
        return bool(wanted) and any(not wanted.isdisjoint(self.leaf_set(c)) for c in capabilities)

    def list_all(self) -> list[str]:
        """Every leaf path, sorted."""
        children = self._state.children
        return sorted(path for path, below in children.items() if path and not below)

    def aliases(self) -> dict[str, str]:
        """Alias -> path, short names and legacy paths alike."""
        return dict(self._aliases)

    def search(self, text: str) -> list[str]:
        """Node paths containing ``text``, and the paths of aliases containing it, sorted
        (case-insensitive)."""
        needle = text.lower()
        found = {path for path in self._state.children if path and needle in path}
        found.update(path for alias, path in self._aliases.items() if needle in alias.lower())
        return sorted(found)

    def tree(self) -> dict[str, Any]:
        """The tree as nested dicts keyed by segment, a leaf being ``{}``."""
        children = self._state.children

        def build(path: str) -> dict[str, Any]:
            return {child.rsplit(".", 1)[-1]: build(child) for child in children[path]}

        return build("")

    def suggest(self, name: str) -> list[str]:
        """Up to three known names (aliases, short names, paths) close to ``name``."""
        state = self._state
        candidates = [*self._aliases, *_short_names(state), *(p for p in state.children if p)]
        return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)

    def _cached(self, name: str) -> tuple[tuple[str, ...], frozenset[str]]:
        path = self.canonical(name)
        state = self._state
        found = state.leaves.get(path)
        if found is None:
            if not path or path not in state.children:
                return _NOTHING
            leaves = _leaves_under(state.children, path)
            found = state.leaves[path] = (leaves, frozenset(leaves))
        return found


_NOTHING: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())


def _short_names(state: _State) -> dict[str, str]:
    """Last segment -> path, for segments that end exactly one node."""
    short = state.short
    if short is None:
        owners: dict[str, list[str]] = {}
        for path in state.children:
            if "." in path:
                owners.setdefault(path.rsplit(".", 1)[1], []).append(path)
        short = state.short = {name: paths[0] for name, paths in owners.items() if len(paths) == 1}
    return short


def _segments(path: str) -> list[str]:
    if not isinstance(path, str) or not path:
        raise ValueError(f"a capability path is a non-empty dotted name, got {path!r}")
    segments = path.split(".")
    if any(not segment or segment != segment.strip() for segment in segments):
        raise ValueError(
            f"capability path {path!r} has an empty or padded segment; write segments "
            "separated by single dots, such as 'generation.custom.my-capability'"
        )
    return segments


def _leaves_under(children: Mapping[str, tuple[str, ...]], path: str) -> tuple[str, ...]:
    found: list[str] = []
    stack = [path]
    while stack:
        node = stack.pop()
        below = children[node]
        if below:
            stack.extend(reversed(below))
        else:
            found.append(node)
    return tuple(sorted(found))


_DEFAULT = CapabilityTree()


def default_tree() -> CapabilityTree:
    """The shared tree behind the module functions. Registering on it affects every
    user of this process; a mesh works on its own ``copy()``."""
    return _DEFAULT


def capabilities_match(
    model_capabilities: Iterable[str], node: str, *, capability_tree: CapabilityTree | None = None
) -> bool:
    """True when a model with these capabilities belongs in a pool targeting ``node``."""
    return (capability_tree or _DEFAULT).matches(node, model_capabilities)


def canonical(name: str) -> str:
    """``CapabilityTree.canonical`` on the default tree."""
    return _DEFAULT.canonical(name)


def is_known(name: str) -> bool:
    """``CapabilityTree.is_known`` on the default tree."""
    return _DEFAULT.is_known(name)


def list_all() -> list[str]:
    """Every leaf path of the default tree, sorted."""
    return _DEFAULT.list_all()


def resolve(name: str) -> list[str]:
    """The leaf paths ``name`` stands for in the default tree."""
    return _DEFAULT.resolve(name)


def search(text: str) -> list[str]:
    """Paths of the default tree matching ``text`` (paths and aliases)."""
    return _DEFAULT.search(text)


def suggest(name: str) -> list[str]:
    """Known names close to ``name`` in the default tree, for error messages."""
    return _DEFAULT.suggest(name)


def tree() -> dict[str, Any]:
    """The default tree as nested dicts."""
    return _DEFAULT.tree()
