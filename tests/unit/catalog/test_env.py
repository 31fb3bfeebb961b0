"""The environment variables: one table (catalog/env.py) that the code, the README and the errors agree on."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from catalog.env import VARIABLES, env_bool, env_float, env_int, env_path, env_str
from catalog.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
NAME = re.compile(r"\bTUNEWISE_[A-Z0-9_]*[A-Z0-9]\b")  # a wildcard like TUNEWISE_LLM_* names no variable
#: Where the product's code and its docs live (tests have knobs of their own, e.g. TUNEWISE_SCREENSHOTS).
CODE = ("catalog", "finetune", "assistant", "spaces", "bench", "app.py")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".txt", ".toml", ".sh"}
DIRECT_READ = re.compile(r"""(?:environ\.get|getenv|environ\[|\.get)\(\s*["']TUNEWISE_""")


def code_files() -> list[Path]:
    files: list[Path] = []
    for part in CODE:
        path = ROOT / part
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in TEXT_SUFFIXES]
    return sorted(f for f in files if "__pycache__" not in f.parts)


def test_every_name_in_the_code_is_in_the_table() -> None:
    used = {name: f.relative_to(ROOT) for f in code_files() for name in NAME.findall(f.read_text(encoding="utf-8"))}
    missing = {f"{name} ({where})" for name, where in used.items() if name not in VARIABLES}
    assert not missing, "add these to catalog/env.py VARIABLES:\n" + "\n".join(sorted(missing))


def test_only_catalog_env_reads_the_environment_for_them() -> None:
    readers = [f"{f.relative_to(ROOT)}:{i}" for f in code_files() if f.suffix == ".py" and f != ROOT / "catalog/env.py"
               for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if DIRECT_READ.search(line)]
    assert not readers, "read TUNEWISE_* variables through catalog.env:\n" + "\n".join(readers)


def test_the_readme_configuration_table_lists_every_variable() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {name for line in section.splitlines() if line.startswith("|") for name in NAME.findall(line)}
    assert set(VARIABLES) - rows == set(), "README.md's Configuration table lacks these variables"


def test_every_entry_is_complete() -> None:
    for name, var in VARIABLES.items():
        assert var.name == name and var.meaning
        if var.kind in ("int", "float", "bool", "path"):
            assert var.default is not None, f"{name}: numbers, switches and paths need a default"
        if var.kind in ("int", "float", "str", "path"):
            assert var.expects, f"{name}: say what a good value looks like"
        if var.kind == "choice":
            assert var.choices and all(c == c.lower() for c in var.choices)


def test_unset_or_empty_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TUNEWISE_MAX_JOBS", "TUNEWISE_SINGLE_USER", "TUNEWISE_CANCEL_GRACE_S", "TUNEWISE_LLM"):
        monkeypatch.delenv(name, raising=False)
    assert env_int("TUNEWISE_MAX_JOBS") == 1 and env_bool("TUNEWISE_SINGLE_USER") is True
    assert env_float("TUNEWISE_CANCEL_GRACE_S") == 30.0 and env_str("TUNEWISE_LLM") is None
    monkeypatch.setenv("TUNEWISE_MAX_JOBS", "  ")
    assert env_int("TUNEWISE_MAX_JOBS") == 1
    assert env_path("TUNEWISE_HOME", {}) == Path.home() / ".tunewise"


def test_good_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"TUNEWISE_MAX_JOBS": " 3 ", "TUNEWISE_MAX_DATA_MB": "0.5", "TUNEWISE_LLM": "GUIDE",
           "TUNEWISE_HOME": "~/work", "TUNEWISE_JOB_MEMORY_MB": "0"}
    assert env_int("TUNEWISE_MAX_JOBS", env) == 3 and env_float("TUNEWISE_MAX_DATA_MB", env) == 0.5
    assert env_str("TUNEWISE_LLM", env) == "guide" and env_path("TUNEWISE_HOME", env) == Path.home() / "work"
    assert env_int("TUNEWISE_JOB_MEMORY_MB", env) == 0  # no cap
    for text, value in (("1", True), ("Yes", True), ("on", True), ("TRUE", True), ("0", False), ("off", False),
                        ("No", False), ("false", False)):
        monkeypatch.setenv("TUNEWISE_OFFLINE", text)
        assert env_bool("TUNEWISE_OFFLINE") is value, text


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TUNEWISE_MAX_JOBS", "two", "TUNEWISE_MAX_JOBS='two' is not a whole number: set it to a number of jobs such as 1"),
    ("TUNEWISE_MAX_JOBS", "1.5", "TUNEWISE_MAX_JOBS='1.5' is not a whole number"),
    ("TUNEWISE_MAX_JOBS", "0", "TUNEWISE_MAX_JOBS='0' is less than 1: set it to a number of jobs such as 1"),
    ("TUNEWISE_SESSION_MAX_JOBS", "-2", "TUNEWISE_SESSION_MAX_JOBS='-2' is less than 1"),
    ("TUNEWISE_JOB_MEMORY_MB", "8G", "TUNEWISE_JOB_MEMORY_MB='8G' is not a whole number: set it to a number of MiB"),
    ("TUNEWISE_CANCEL_GRACE_S", "soon", "TUNEWISE_CANCEL_GRACE_S='soon' is not a number: set it to a number of "
                                        "seconds such as 30"),
    ("TUNEWISE_CANCEL_GRACE_S", "0", "TUNEWISE_CANCEL_GRACE_S='0' is not above 0"),
    ("TUNEWISE_MAX_DATA_MB", "inf", "TUNEWISE_MAX_DATA_MB='inf' is not a finite number"),
    ("TUNEWISE_SINGLE_USER", "maybe", "TUNEWISE_SINGLE_USER='maybe' is not on or off: set it to 1"),
    ("TUNEWISE_OFFLINE", "2", "TUNEWISE_OFFLINE='2' is not on or off"),
    ("TUNEWISE_LLM", "gpt", "TUNEWISE_LLM='gpt' is not one of guide, openai, azure, local"),
])
def test_bad_values_are_clear_errors(name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    read = {"int": env_int, "float": env_float, "bool": env_bool, "choice": env_str}[VARIABLES[name].kind]
    with pytest.raises(ConfigError) as caught:
        read(name)
    assert str(caught.value).startswith(message)
    assert str(caught.value).endswith("or unset it.")


def test_a_nul_in_a_path_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"TUNEWISE_HOME='a\\x00b' contains a NUL character"):
        env_path("TUNEWISE_HOME", {"TUNEWISE_HOME": "a\0b"})


def test_misuse_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        env_int("TUNEWISE_NO_SUCH_THING")
    with pytest.raises(TypeError, match="TUNEWISE_MAX_JOBS is of kind 'int': read it with env_int"):
        env_bool("TUNEWISE_MAX_JOBS")


def test_data_dirs_are_a_list_of_existing_folders(tmp_path: Path) -> None:
    from catalog.env import env_paths

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert env_paths("TUNEWISE_DATA_DIRS", {}) == []
    value = f" {first} {os.pathsep}{os.pathsep}{second}"
    assert env_paths("TUNEWISE_DATA_DIRS", {"TUNEWISE_DATA_DIRS": value}) == [first, second]
    with pytest.raises(ConfigError, match="which is not an existing folder: set it to folders such as"):
        env_paths("TUNEWISE_DATA_DIRS", {"TUNEWISE_DATA_DIRS": str(tmp_path / "missing")})
