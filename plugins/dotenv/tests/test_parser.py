"""The .env syntax: what each kind of line means, and that writing reads back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh_plugin_dotenv.parser import DotenvSyntaxError, format_assignment, parse


def values(text: str) -> dict[str, str]:
    return {line.key: line.value for line in parse(text, source="f") if line.key is not None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KEY=plain", {"KEY": "plain"}),
        ("KEY = spaced  ", {"KEY": "spaced"}),
        ("export KEY=exported", {"KEY": "exported"}),
        ("KEY='single # not a comment'", {"KEY": "single # not a comment"}),
        ('KEY="double # not a comment"', {"KEY": "double # not a comment"}),
        ("KEY='no \\n escapes'", {"KEY": "no \\n escapes"}),
        ('KEY="line\\nbreak \\"q\\""', {"KEY": 'line\nbreak "q"'}),
        ("KEY=value # a comment", {"KEY": "value"}),
        ("KEY=pass#word", {"KEY": "pass#word"}),
        ('KEY="quoted" # a comment', {"KEY": "quoted"}),
        ("KEY=", {"KEY": ""}),
        ("KEY=a=b", {"KEY": "a=b"}),
        ("# comment\n\n   \nKEY=v", {"KEY": "v"}),
        ("KEY=first\nKEY=second", {"KEY": "second"}),
    ],
)
def test_a_line_means_what_a_shell_would_read(text: str, expected: dict[str, str]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    "text", ["not an assignment", "KEY='unclosed", 'KEY="unclosed', "KEY='x' trailing"]
)
def test_a_malformed_line_is_refused_by_number(text: str) -> None:
    with pytest.raises(DotenvSyntaxError, match="line 2"):
        parse(f"# header\n{text}", source="f")


def test_a_syntax_error_does_not_show_the_line() -> None:
    with pytest.raises(DotenvSyntaxError) as caught:
        parse("KEY='sk-secret-55", source="f")
    assert "sk-secret-55" not in str(caught.value)


def test_the_line_keeps_no_value_in_its_repr() -> None:
    (line,) = parse("KEY=sk-secret-55", source="f")
    assert "sk-secret-55" not in repr(line)


@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=40))
def test_any_value_written_reads_back(value: str) -> None:
    assert values(format_assignment("KEY", value)) == {"KEY": value}
