"""A freedesktop.org menu entry, so the app starts like any other on a Linux desktop.

``digitpad --install-desktop-entry`` writes ``digitpad.desktop`` into the user's applications
folder and the icon into the user's hicolor icon theme; ``--uninstall-desktop-entry`` removes
both. Nothing outside the user's own data folder is touched.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from digitpad.errors import DigitpadError
from digitpad.paths import assets_dir

APP_ID = "digitpad"
DESKTOP_FILE = f"{APP_ID}.desktop"
ICON_FILE = f"{APP_ID}.svg"


def data_home() -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share`` (the freedesktop base directory rule)."""
    value = os.environ.get("XDG_DATA_HOME")
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def entry_paths(base: Path | None = None) -> tuple[Path, Path]:
    """Where the ``.desktop`` file and the icon go."""
    base = base or data_home()
    return (
        base / "applications" / DESKTOP_FILE,
        base / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE,
    )


def installed_command() -> str:
    """The absolute path of the ``digitpad`` command that is running, or one on ``PATH``.

    The menu entry must start this installation, not whatever ``digitpad`` a later ``PATH``
    finds; so the script beside this interpreter wins when it exists.
    """
    beside = Path(sys.executable).with_name("digitpad")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("digitpad")
    if found:
        return str(Path(found).absolute())
    raise DigitpadError(
        "cannot find the installed 'digitpad' command to start; install digitpad with pip or "
        "pipx first"
    )


def desktop_entry_text(command: str) -> str:
    """The ``.desktop`` file's text for starting ``command``."""
    if any(ch in command for ch in "\n\r"):
        raise DigitpadError(f"{command!r}: not a usable command path")
    # The Exec key's quoting rules: a path with spaces or reserved characters goes in double
    # quotes, with ", `, $ and \\ escaped by a backslash.
    reserved = set(" \t\"'\\><~|&;$*?#()`")
    exec_path = command
    if any(ch in reserved for ch in command):
        escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in command)
        exec_path = f'"{escaped}"'
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.5",
            "Name=digitpad",
            "GenericName=Handwritten digit trainer",
            "Comment=Draw a digit, train a neural network on MNIST, and see why it answers",
            f"Exec={exec_path}",
            f"TryExec={command}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "Categories=Education;Science;ArtificialIntelligence;",
            "Keywords=MNIST;neural network;handwriting;TensorFlow;",
            "StartupNotify=true",
            f"StartupWMClass={APP_ID}",
            "",
        ]
    )


def install(base: Path | None = None, command: str | None = None) -> list[Path]:
    """Write the menu entry and its icon (atomically); returns the two paths."""
    desktop, icon = entry_paths(base)
    text = desktop_entry_text(command or installed_command())
    try:
        for path in (desktop, icon):
            path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(icon, (assets_dir() / "icon.svg").read_bytes())
        _write_atomically(desktop, text.encode("utf-8"))
    except OSError as exc:
        raise DigitpadError(f"could not write the desktop entry ({exc.strerror or exc})") from None
    return [desktop, icon]


def uninstall(base: Path | None = None) -> list[Path]:
    """Remove the menu entry and its icon; returns what was there and is now gone."""
    removed = []
    for path in entry_paths(base):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DigitpadError(f"{path}: could not remove ({exc.strerror or exc})") from None
        removed.append(path)
    return removed


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(content)
        temporary.chmod(0o644)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
