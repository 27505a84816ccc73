"""What pyproject.toml declares: the version written once, every library the code imports."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import digitpad

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def project() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def test_the_version_is_written_once_in_the_package():
    meta = project()
    assert "version" not in meta and "version" in meta["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", digitpad.__version__)
    # The installed metadata (pip install -e .) is built from that one place.
    assert importlib.metadata.version("digitpad") == digitpad.__version__


def test_rich_which_the_cli_imports_is_declared():
    """It used to arrive only because Keras depends on it."""
    names = {
        re.split(r"[<>=!~;\s\[]", dep, maxsplit=1)[0].lower() for dep in project()["dependencies"]
    }
    cli = (Path(digitpad.__file__).parent / "cli.py").read_text(encoding="utf-8")
    assert re.search(r"^\s*from rich[. ]", cli, re.M), "the CLI no longer uses rich: drop it"
    assert "rich" in names
