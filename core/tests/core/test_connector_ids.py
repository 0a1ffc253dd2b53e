"""Connector IDs: lowercase segments, dots between, a trailing version; three forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.connector_ids import is_connector_id, parse_connector_id
from modelmesh.errors import InvalidConnectorIdError
from modelmesh.interfaces.connector import ConnectorType

segment = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)


@given(namespace=segment, name=segment, version=st.integers(0, 99))
def test_well_formed_ids_parse_to_themselves(namespace, name, version):
    text = f"{namespace}.{name}.v{version}"

    parsed = parse_connector_id(text)

    assert parsed.id == text
    assert parsed.version == version


@given(kind=st.sampled_from(list(ConnectorType)), name=segment)
def test_full_and_qualified_forms_carry_the_type(kind, name):
    short = f"acme.{name}.v1"

    assert parse_connector_id(f"{kind.value}.{short}").connector_type is kind
    assert parse_connector_id(f"{kind.value}:{short}").connector_type is kind
    assert parse_connector_id(f"{kind.value}:{short}").id == short


def test_short_form_has_no_type():
    assert parse_connector_id("openai.llm.v1").connector_type is None


def test_qualified_name_joins_type_and_id():
    parsed = parse_connector_id("modelmesh.env.v1")

    assert parsed.qualified(ConnectorType.SECRET_STORE) == "secret_store:modelmesh.env.v1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("OpenAI.llm.v1", "lowercase"),
        ("openai.llm", "version"),
        ("openai.v1", "namespace, a name and a version"),
        ("open_ai.llm.v1", "hyphens"),
        ("openai..llm.v1", "segments"),
        ("storage:openai.llm", "version"),
        ("widget:openai.llm.v1", "not a connector type"),
    ],
)
def test_malformed_ids_are_refused_with_the_rule_they_break(text, reason):
    with pytest.raises(InvalidConnectorIdError, match=reason):
        parse_connector_id(text)


@given(st.text(max_size=30))
def test_is_connector_id_never_raises_and_agrees_with_the_parser(text):
    if is_connector_id(text):
        assert parse_connector_id(text).id == text
