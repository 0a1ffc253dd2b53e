"""The dotenv store's own rules: precedence with the environment, the missing file,
writes that keep the file's other lines, the cache on an injected clock."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh_plugin_dotenv.connector import DotenvSecretStore


def env_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_environment_wins_by_default(tmp_path: Path) -> None:
    path = env_file(tmp_path, "KEY=from-file\n")
    store = DotenvSecretStore({"path": path}, environ={"KEY": "from-env"})
    assert store.get("KEY") == "from-env"


def test_the_file_wins_with_override(tmp_path: Path) -> None:
    path = env_file(tmp_path, "KEY=from-file\n")
    store = DotenvSecretStore({"path": path, "override": True}, environ={"KEY": "from-env"})
    assert store.get("KEY") == "from-file"


def test_the_environment_fills_in_what_the_file_lacks(tmp_path: Path) -> None:
    path = env_file(tmp_path, "OTHER=x\n")
    store = DotenvSecretStore({"path": path, "override": True}, environ={"KEY": "from-env"})
    assert store.get("KEY") == "from-env"


def test_the_default_path_is_dot_env_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file(tmp_path, "KEY=here\n")
    monkeypatch.chdir(tmp_path)
    assert DotenvSecretStore(environ={}).get("KEY") == "here"


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nowhere\.env"):
        DotenvSecretStore({"path": str(tmp_path / "nowhere.env")}, environ={})


def test_a_missing_file_is_an_empty_store_without_fail_on_missing(tmp_path: Path) -> None:
    store = DotenvSecretStore(
        {"path": str(tmp_path / "nowhere.env"), "fail_on_missing": False}, environ={}
    )
    assert store.list() == []


def test_set_creates_a_missing_file_without_fail_on_missing(tmp_path: Path) -> None:
    path = tmp_path / "new.env"
    store = DotenvSecretStore({"path": str(path), "fail_on_missing": False}, environ={})
    store.set("KEY", "v")
    assert path.read_text(encoding="utf-8") == 'KEY="v"\n'


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = env_file(tmp_path, "GOOD=1\nbroken line\n")
    with pytest.raises(ConfigurationError, match=r"\.env'?, line 2"):
        DotenvSecretStore({"path": path}, environ={})


def test_set_keeps_every_other_line(tmp_path: Path) -> None:
    path = env_file(tmp_path, "# keys\nexport KEY=old # note\n\nOTHER='x'\n")
    DotenvSecretStore({"path": path}, environ={}).set("KEY", "new")
    assert Path(path).read_text(encoding="utf-8") == "# keys\nexport KEY=\"new\"\n\nOTHER='x'\n"


def test_set_appends_a_new_key(tmp_path: Path) -> None:
    path = env_file(tmp_path, "A=1\n")
    DotenvSecretStore({"path": path}, environ={}).set("B", "2")
    assert Path(path).read_text(encoding="utf-8") == 'A=1\nB="2"\n'


def test_set_collapses_repeated_assignments(tmp_path: Path) -> None:
    path = env_file(tmp_path, "K=1\nA=x\nK=2\n")
    DotenvSecretStore({"path": path}, environ={}).set("K", "3")
    assert Path(path).read_text(encoding="utf-8") == 'K="3"\nA=x\n'


def test_delete_keeps_every_other_line(tmp_path: Path) -> None:
    path = env_file(tmp_path, "# keys\nK=1\nA=x\n")
    DotenvSecretStore({"path": path}, environ={}).delete("K")
    assert Path(path).read_text(encoding="utf-8") == "# keys\nA=x\n"


def test_a_file_edited_behind_the_cache_is_read_after_the_ttl(tmp_path: Path) -> None:
    clock = ManualClock()
    path = env_file(tmp_path, "KEY=old\n")
    store = DotenvSecretStore({"path": path, "cache_ttl": "60s"}, clock=clock, environ={})
    store.get("KEY")
    env_file(tmp_path, "KEY=new\n")
    clock.advance(61)
    assert store.get("KEY") == "new"


def test_a_file_edited_behind_the_cache_is_not_read_within_the_ttl(tmp_path: Path) -> None:
    clock = ManualClock()
    path = env_file(tmp_path, "KEY=old\n")
    store = DotenvSecretStore({"path": path, "cache_ttl": "60s"}, clock=clock, environ={})
    store.get("KEY")
    env_file(tmp_path, "KEY=new\n")
    clock.advance(59)
    assert store.get("KEY") == "old"


def test_repr_shows_no_value(tmp_path: Path) -> None:
    store = DotenvSecretStore({"path": env_file(tmp_path, "K=sk-hidden-1\n")}, environ={})
    store.get("K")
    assert "sk-hidden-1" not in f"{store!r} {store.config!r}"


LINES = st.one_of(
    st.builds("{}={}".format, st.sampled_from(["A", "B", "C"]), st.text("xyz 1", max_size=5)),
    st.text(" \t", max_size=3),
    st.builds("# {}".format, st.text("abc #=", max_size=8)),
)


@given(st.lists(LINES, max_size=8), st.text(max_size=12))
def test_set_of_a_new_key_keeps_the_file_and_appends_one_line(lines: list[str], value: str) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / ".env"
        original = "".join(f"{line}\n" for line in lines)
        path.write_text(original, encoding="utf-8")
        store = DotenvSecretStore({"path": str(path), "cache_enabled": False}, environ={})
        store.set("NEW_KEY", value)
        written = path.read_text(encoding="utf-8")
        assert written.startswith(original)
        assert store.get("NEW_KEY") == value
