"""View › Appearance: follow the system's colour scheme, or always light, or always dark.

"System" keeps the platform's own style and palette (Qt 6.5+ reports the desktop's scheme and
repaints when it changes). "Light" and "Dark" use Qt's Fusion style, which draws every widget
from the palette, with Qt's colour-scheme hint set as well where Qt supports it, so that a
dark window looks dark on any platform. Views take their colours from the palette, so they
follow without being told.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

CHOICES = ("system", "light", "dark")
LABELS = {"system": "&System", "light": "&Light", "dark": "&Dark"}

_original: tuple[str, QPalette] | None = None


def dark_palette() -> QPalette:
    """A dark palette like a desktop's dark theme."""
    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#323232"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.BrightText, "#ff6b6b"),
        (role.Highlight, "#3d8ee6"),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#6cb4ff"),
        (role.PlaceholderText, "#8c8c8c"),
        (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#e6e6e6"),
        (role.Mid, "#5a5a5a"),
        (role.Dark, "#1a1a1a"),
        (role.Light, "#505050"),
    ):
        palette.setColor(name, QColor(colour))
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, name, QColor("#7a7a7a"))
    return palette


def apply_appearance(choice: str, app: QApplication | None = None) -> str:
    """Use ``choice`` (one of :data:`CHOICES`; anything else means "system"); returns it."""
    global _original
    if app is None:
        instance = QApplication.instance()
        # Widgets' styles and palettes belong to a QApplication, not a console QCoreApplication.
        app = instance if isinstance(instance, QApplication) else None
    if app is None:
        return "system"
    if _original is None:
        _original = (app.style().name(), QPalette(app.palette()))
    choice = choice if choice in CHOICES else "system"
    hints = app.styleHints()
    if choice == "system":
        style, palette = _original
        app.setStyle(QStyleFactory.create(style) or style)
        app.setPalette(palette)
        if hasattr(hints, "unsetColorScheme"):
            hints.unsetColorScheme()
        return choice
    app.setStyle("Fusion")
    if choice == "dark":
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(Qt.ColorScheme.Dark if choice == "dark" else Qt.ColorScheme.Light)
    return choice
