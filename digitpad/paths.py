"""Where digitpad finds its bundled files and keeps the user's models.

In a source checkout (or an editable install) the bundled data sits in ``assets/`` and
``model_store/`` at the top of the repository; a wheel carries the same folders inside the
package as ``digitpad/_assets`` and ``digitpad/_model_store`` (see ``pyproject.toml``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

STORE_ENV = "DIGITPAD_STORE"


def _first_existing(*candidates: Path) -> Path:
    # The wheel's own copy first: next to an installed package, "site-packages/assets" could
    # belong to anything.
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def assets_dir() -> Path:
    """The folder with the bundled MNIST copy and the icons."""
    return _first_existing(_PACKAGE_DIR / "_assets", _PACKAGE_DIR.parent / "assets")


def bundled_store_dir() -> Path:
    """The read-only store that holds the bundled default model."""
    return _first_existing(_PACKAGE_DIR / "_model_store", _PACKAGE_DIR.parent / "model_store")


def bundled_mnist_path() -> Path:
    return assets_dir() / "mnist.npz"


def user_data_dir() -> Path:
    """The platform's per-user data folder for digitpad (nothing is written here by this call)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "digitpad"


def user_store_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The writable model store: ``override``, else ``$DIGITPAD_STORE``, else the user data dir."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]).expanduser()
    return user_data_dir() / "models"


def rescue_store_dirs(failed: str | os.PathLike[str]) -> list[Path]:
    """Where to keep a trained model when saving it in ``failed`` did not work, best first:
    the usual user store (``$DIGITPAD_STORE`` or the data folder, if ``failed`` was another
    one), then a folder in the temp dir."""
    failed_path = Path(failed).expanduser()
    candidates = [user_store_dir(), Path(tempfile.gettempdir()) / "digitpad-rescued"]
    return [path for path in candidates if path.resolve() != failed_path.resolve()]


SETTINGS_ENV = "DIGITPAD_SETTINGS"


def settings_file() -> Path | None:
    """The ini file named by ``$DIGITPAD_SETTINGS``, or None for the system's usual place.

    The window's remembered settings (size, tab, form, threshold) belong to the person, not to a
    model store: ``--store`` does not move them. Tests and benchmarks set this variable to keep
    theirs apart from the user's.
    """
    value = os.environ.get(SETTINGS_ENV)
    return Path(value).expanduser() if value else None
