"""The freedesktop menu entry: valid keys, the installed command, install and remove."""

from __future__ import annotations

import configparser
import os

import pytest

from digitpad import desktop_entry
from digitpad.cli import main
from digitpad.errors import DigitpadError


def parse(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop entries
    parser.read_string(text)
    return dict(parser["Desktop Entry"])


def test_entry_has_the_required_keys_and_starts_the_given_command():
    entry = parse(desktop_entry.desktop_entry_text("/opt/venv/bin/digitpad"))
    # The keys freedesktop requires for an application, with legal values.
    assert entry["Type"] == "Application" and entry["Name"] == "digitpad"
    assert entry["Exec"] == "/opt/venv/bin/digitpad" and entry["TryExec"] == entry["Exec"]
    assert entry["Icon"] == "digitpad" and entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Education" in entry["Categories"].split(";")
    assert all(key[0].isupper() for key in entry)


def test_a_path_with_spaces_is_quoted_as_the_spec_says():
    entry = parse(desktop_entry.desktop_entry_text("/home/a b/$x/digitpad"))
    assert entry["Exec"] == '"/home/a b/\\$x/digitpad"'
    with pytest.raises(DigitpadError):
        desktop_entry.desktop_entry_text("/bad\npath")


def test_install_and_uninstall_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    command = tmp_path / "bin" / "digitpad"
    command.parent.mkdir()
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    desktop, icon = desktop_entry.install(command=str(command))
    assert desktop == tmp_path / "applications" / "digitpad.desktop"
    assert icon == tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "digitpad.svg"
    assert parse(desktop.read_text())["Exec"] == str(command)
    assert icon.read_bytes().lstrip().startswith(b"<")
    assert oct(desktop.stat().st_mode & 0o777) == oct(0o644)
    assert desktop_entry.uninstall() == [desktop, icon]
    assert not desktop.exists() and not icon.exists()
    assert desktop_entry.uninstall() == []


def test_cli_installs_the_running_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["--install-desktop-entry"]) == 0
    entry = parse((tmp_path / "applications" / "digitpad.desktop").read_text())
    # The command beside this interpreter: the installation that is running now.
    assert os.path.isabs(entry["TryExec"]) and entry["TryExec"].endswith("digitpad")
    assert "installed" in capsys.readouterr().out
    assert main(["--uninstall-desktop-entry"]) == 0
    assert not (tmp_path / "applications" / "digitpad.desktop").exists()
