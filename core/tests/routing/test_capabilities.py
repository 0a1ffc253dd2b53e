"""The capability tree: taxonomy, aliases, registration and resolution."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from modelmesh.routing import capabilities
from modelmesh.routing.capabilities import (
    ALIASES,
    LEGACY_PATHS,
    PREDEFINED_POOLS,
    TAXONOMY,
    TAXONOMY_LEAVES,
    CapabilityTree,
    capabilities_match,
)

CHAT = "generation.text-generation.chat-completion"


# --- the taxonomy -------------------------------------------------------------------------


def test_taxonomy_has_the_seven_roots():
    assert list(TAXONOMY) == [
        "generation",
        "understanding",
        "transformation",
        "representation",
        "retrieval",
        "interaction",
        "evaluation",
    ]


def test_taxonomy_has_58_leaves():
    assert len(TAXONOMY_LEAVES) == len(set(TAXONOMY_LEAVES)) == 58
    assert CapabilityTree().list_all() == sorted(TAXONOMY_LEAVES)


@pytest.mark.parametrize(
    ("node", "leaves"),
    [
        (
            "generation.text-generation",
            ["chat-completion", "code-generation", "text-completion"],
        ),
        ("generation.audio-generation", ["music-generation", "text-to-speech"]),
        ("understanding.vision-understanding", ["image-captioning", "object-detection", "ocr"]),
        (
            "understanding.audio-understanding",
            ["audio-classification", "speaker-identification", "speech-to-text"],
        ),
        (
            "representation.embeddings",
            ["image-embeddings", "multimodal-embeddings", "text-embeddings"],
        ),
        ("retrieval.rag", ["grounded-generation", "retrieval-augmented-generation"]),
        ("interaction.agent-execution", ["multi-step-agent", "single-step-agent"]),
    ],
)
def test_subtrees_hold_the_documented_leaves(node, leaves):
    assert capabilities.resolve(node) == [f"{node}.{leaf}" for leaf in leaves]


@pytest.mark.parametrize(
    "leaf",
    [
        "transformation.translation",
        "transformation.rewriting",
        "representation.tokenization",
        "retrieval.reranking",
        "interaction.tool-calling",
        "evaluation.content-moderation",
    ],
)
def test_second_level_leaves_resolve_to_themselves(leaf):
    assert capabilities.resolve(leaf) == [leaf]


def test_a_root_resolves_to_every_leaf_under_it():
    leaves = capabilities.resolve("evaluation")

    assert leaves == [
        "evaluation.content-moderation",
        "evaluation.factuality-checking",
        "evaluation.quality-scoring",
        "evaluation.toxicity-detection",
    ]


def test_predefined_pools_target_taxonomy_nodes():
    assert PREDEFINED_POOLS == {
        "text-generation": "generation.text-generation",
        "structured-generation": "generation.structured-generation",
        "image-generation": "generation.image-generation",
        "embeddings": "representation.embeddings",
        "speech-to-text": "understanding.audio-understanding.speech-to-text",
        "text-to-speech": "generation.audio-generation.text-to-speech",
        "vision-understanding": "understanding.vision-understanding",
    }
    assert all(capabilities.is_known(node) for node in PREDEFINED_POOLS.values())


# --- aliases ------------------------------------------------------------------------------


def test_there_are_eight_short_aliases():
    assert set(ALIASES) == {
        "chat-completion",
        "text-generation",
        "code-generation",
        "text-embeddings",
        "text-to-speech",
        "speech-to-text",
        "text-to-image",
        "image-to-text",
    }


@pytest.mark.parametrize("alias", sorted({**ALIASES, **LEGACY_PATHS}))
def test_every_alias_names_a_taxonomy_node(alias):
    path = capabilities.canonical(alias)

    leaves = capabilities.resolve(alias)

    assert leaves
    assert set(leaves) <= set(TAXONOMY_LEAVES)
    assert leaves == capabilities.resolve(path)


@pytest.mark.parametrize(
    ("legacy", "leaf"),
    [
        ("generation.audio.text-to-speech", "generation.audio-generation.text-to-speech"),
        ("understanding.audio.speech-to-text", "understanding.audio-understanding.speech-to-text"),
        ("generation.image.text-to-image", "generation.image-generation.text-to-image"),
    ],
)
def test_legacy_alias_paths_stand_for_the_taxonomy_leaves(legacy, leaf):
    assert capabilities.canonical(legacy) == leaf
    assert capabilities.resolve(legacy) == [leaf]
    assert capabilities.canonical(legacy.rsplit(".", 1)[1]) == leaf


def test_legacy_alias_paths_are_not_nodes_of_the_tree():
    assert "audio" not in capabilities.tree()["generation"]
    assert "image" not in capabilities.tree()["representation"]


def test_image_to_text_is_image_captioning():
    assert capabilities.resolve("image-to-text") == [
        "understanding.vision-understanding.image-captioning"
    ]


def test_text_generation_alias_resolves_to_the_whole_subtree():
    assert capabilities.resolve("text-generation") == capabilities.resolve(
        "generation.text-generation"
    )


# --- canonical names ----------------------------------------------------------------------


def test_a_dotted_name_passes_through_canonical_unchanged():
    assert capabilities.canonical("generation.custom.my-capability") == (
        "generation.custom.my-capability"
    )


def test_an_unknown_short_name_passes_through_canonical_unchanged():
    assert capabilities.canonical("my-model") == "my-model"
    assert capabilities.resolve("my-model") == []


def test_a_root_name_is_its_own_path():
    assert capabilities.canonical("generation") == "generation"


def test_a_short_name_ending_exactly_one_node_names_that_node():
    assert capabilities.canonical("summarization") == (
        "understanding.text-understanding.summarization"
    )
    assert capabilities.canonical("embeddings") == "representation.embeddings"


def test_a_short_name_ending_two_nodes_stays_unchanged():
    tree = CapabilityTree()
    tree.register("retrieval.custom.summarization")

    assert tree.canonical("summarization") == "summarization"
    assert tree.resolve("summarization") == []


def test_is_known_accepts_paths_and_aliases_only_of_nodes():
    assert capabilities.is_known("generation")
    assert capabilities.is_known(CHAT)
    assert capabilities.is_known("chat-completion")
    assert not capabilities.is_known("generation.nothing-here")
    assert not capabilities.is_known("")


# --- registering --------------------------------------------------------------------------


def test_register_creates_the_intermediate_nodes():
    tree = CapabilityTree((), aliases={})

    tree.register("a.b.c")

    assert tree.tree() == {"a": {"b": {"c": {}}}}
    assert tree.resolve("a") == ["a.b.c"]
    assert tree.resolve("a.b") == ["a.b.c"]
    assert tree.is_leaf("a.b.c")
    assert not tree.is_leaf("a.b")


def test_a_leaf_stops_being_a_leaf_once_a_child_is_added():
    tree = CapabilityTree()
    assert tree.resolve("transformation.translation") == ["transformation.translation"]

    tree.register("transformation.translation.legal")

    assert tree.resolve("transformation.translation") == ["transformation.translation.legal"]
    assert "transformation.translation" not in tree.list_all()


def test_registering_again_changes_nothing():
    tree = CapabilityTree()
    before = tree.tree()

    tree.register(CHAT)

    assert tree.tree() == before


@pytest.mark.parametrize("path", ["", ".a", "a.", "a..b", "a. b", 7])
def test_register_refuses_malformed_paths(path):
    with pytest.raises(ValueError, match="capability path"):
        CapabilityTree().register(path)


def test_registration_invalidates_cached_resolutions():
    tree = CapabilityTree()
    assert tree.resolve("generation.video-generation") == [
        "generation.video-generation.image-to-video",
        "generation.video-generation.text-to-video",
    ]

    tree.register("generation.video-generation.video-to-video")

    assert "generation.video-generation.video-to-video" in tree.resolve("generation")
    assert len(tree.resolve("generation.video-generation")) == 3


def test_resolve_returns_a_fresh_list_each_time():
    tree = CapabilityTree()
    first = tree.resolve("text-generation")
    first.clear()

    assert tree.resolve("text-generation")


def test_a_copy_is_independent_of_the_original():
    original = CapabilityTree()
    copy = original.copy()

    copy.register("generation.custom.my-capability")
    copy.add_alias("mine", "generation.custom.my-capability")

    assert copy.resolve("mine") == ["generation.custom.my-capability"]
    assert not original.is_known("generation.custom")
    assert original.resolve("mine") == []


def test_add_alias_registers_its_target():
    tree = CapabilityTree()

    tree.add_alias("legal-translation", "transformation.translation.legal")

    assert tree.resolve("legal-translation") == ["transformation.translation.legal"]
    assert tree.aliases()["legal-translation"] == "transformation.translation.legal"


def test_the_module_functions_use_one_shared_tree():
    assert capabilities.default_tree() is capabilities.default_tree()
    assert capabilities.list_all() == capabilities.default_tree().list_all()


# --- search, tree, membership -------------------------------------------------------------


def test_search_matches_paths_and_aliases_sorted():
    assert capabilities.search("SPEECH") == [
        "generation.audio-generation.text-to-speech",
        "understanding.audio-understanding.speech-to-text",
    ]
    assert capabilities.search("image-to-text") == [
        "understanding.vision-understanding.image-captioning"
    ]
    assert capabilities.search("no-such-thing") == []


def test_search_includes_inner_nodes():
    assert "understanding.document-understanding" in capabilities.search("document")


def test_tree_nests_segments_down_to_empty_leaves():
    nested = capabilities.tree()

    assert list(nested) == list(TAXONOMY)
    assert nested["interaction"] == {
        "tool-calling": {},
        "agent-execution": {"single-step-agent": {}, "multi-step-agent": {}},
        "multi-turn-conversation": {},
    }


def test_a_model_matches_a_pool_whose_node_holds_one_of_its_leaves():
    assert capabilities_match([CHAT], "generation.text-generation")
    assert capabilities_match([CHAT], "generation")
    assert capabilities_match(["text-embeddings", CHAT], "representation.embeddings")
    assert capabilities_match(["generation.text-generation"], "chat-completion")


def test_a_model_does_not_match_a_pool_for_another_node():
    assert not capabilities_match([CHAT], "representation.embeddings")
    assert not capabilities_match([], "generation")
    assert not capabilities_match([CHAT], "unknown-pool-name")


def test_a_custom_capability_matches_once_registered_in_the_tree_used():
    tree = CapabilityTree()
    assert not capabilities_match(["generation.custom.mine"], "generation", capability_tree=tree)

    tree.register("generation.custom.mine")

    assert capabilities_match(["generation.custom.mine"], "generation", capability_tree=tree)


def test_suggest_names_close_matches():
    assert "chat-completion" in capabilities.suggest("chat-complition")


# --- properties ---------------------------------------------------------------------------

segment = st.sampled_from(["a", "b", "c", "gen", "x-y"])
paths = st.lists(segment, min_size=1, max_size=4).map(".".join)


@given(st.lists(paths, max_size=12))
def test_every_registered_path_resolves_to_leaves_under_it(registered):
    tree = CapabilityTree()
    for path in registered:
        tree.register(path)

    for path in registered:
        leaves = tree.resolve(path)
        assert leaves
        assert all(leaf == path or leaf.startswith(path + ".") for leaf in leaves)
        assert all(tree.is_leaf(leaf) for leaf in leaves)


@given(st.lists(paths, max_size=12))
def test_a_node_resolves_to_the_union_of_its_children(registered):
    tree = CapabilityTree(registered)

    def check(node_path: str, subtree: dict) -> None:
        if not subtree:
            assert tree.resolve(node_path) == [node_path]
            return
        union: set[str] = set()
        for name, below in subtree.items():
            child = f"{node_path}.{name}"
            check(child, below)
            union.update(tree.resolve(child))
        assert tree.resolve(node_path) == sorted(union)

    for root, subtree in tree.tree().items():
        check(root, subtree)


class RegistrationMachine(RuleBasedStateMachine):
    """Registration and resolution interleaved, checked against a plain set of paths."""

    def __init__(self) -> None:
        super().__init__()
        self.tree = CapabilityTree((), aliases={})
        self.registered: set[str] = set()

    @rule(path=paths)
    def register(self, path):
        self.tree.register(path)
        parts = path.split(".")
        self.registered.update(".".join(parts[: i + 1]) for i in range(len(parts)))

    @rule(path=paths)
    def resolve(self, path):
        node = path
        if "." not in path and path not in self.registered:
            ending = [n for n in self.registered if n.endswith("." + path)]
            node = ending[0] if len(ending) == 1 else path
        expected = sorted(
            leaf
            for leaf in self.registered
            if (leaf == node or leaf.startswith(node + "."))
            and not any(other.startswith(leaf + ".") for other in self.registered)
        )
        assert self.tree.resolve(path) == (expected if node in self.registered else [])

    @invariant()
    def leaves_are_the_nodes_without_children(self):
        assert self.tree.list_all() == sorted(
            node
            for node in self.registered
            if not any(other.startswith(node + ".") for other in self.registered)
        )


TestRegistrationMachine = RegistrationMachine.TestCase
TestRegistrationMachine.settings = settings(max_examples=50, stateful_step_count=20)
