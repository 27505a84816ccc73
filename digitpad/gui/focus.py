"""A visible focus frame for the widgets that paint themselves.

Qt's styles draw focus only for their own controls; a custom-painted widget that takes the
keyboard has to say so itself. The frame is drawn in the palette's highlight colour, two pixels
wide, the same way under every style (Fusion's and the platforms' own focus rectangles differ,
and some draw nothing for a plain QWidget).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFocusFrame,
    QPlainTextEdit,
    QProxyStyle,
    QStyle,
    QTabBar,
    QTextEdit,
    QWidget,
)

FRAME_WIDTH = 2


def paint_focus_frame(painter: QPainter, widget: QWidget) -> None:
    """Outline ``widget`` if it has the keyboard focus (call last in its ``paintEvent``).

    QWidget repaints itself on focus in and out when its focus policy takes focus, so no
    focus handler is needed.
    """
    if not widget.hasFocus():
        return
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(QPen(widget.palette().color(QPalette.ColorRole.Highlight), FRAME_WIDTH))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = FRAME_WIDTH / 2
    painter.drawRect(QRectF(widget.rect()).adjusted(half, half, -half, -half))
    painter.restore()


class FocusRing(QFocusFrame):
    """A highlight-coloured ring around whichever of a window's list views, tables, text views
    or tab bars has the focus.

    Fusion marks their focus with a hairline or the current item only, hard to find at a
    glance; the ring is a separate widget that follows the focus, so no view needs changing.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        # QFocusFrame asks its own style where to go: some styles (Windows) put it under the
        # widget with no margin, where nothing of it shows.
        self._style = _RingStyle()
        self.setStyle(self._style)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        wanted = (
            new is not None
            and new.window() is self._window
            and isinstance(new, RINGED_TYPES)
            and new.focusPolicy() != Qt.FocusPolicy.NoFocus
        )
        # None detaches the frame (QFocusFrame::setWidget(nullptr)); PySide6's stub omits it.
        self.setWidget(new if wanted else None)  # type: ignore[arg-type]
        self.setVisible(wanted)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), FRAME_WIDTH))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = FRAME_WIDTH / 2
        painter.drawRect(QRectF(self.rect()).adjusted(half, half, -half, -half))


class _RingStyle(QProxyStyle):
    """The application's style, but the ring sits above its widget, FRAME_WIDTH outside it."""

    def styleHint(self, hint, option=None, widget=None, returnData=None) -> int:  # noqa: N802,N803
        if hint == QStyle.StyleHint.SH_FocusFrame_AboveWidget:
            return 1
        return super().styleHint(hint, option, widget, returnData)

    def pixelMetric(self, metric, option=None, widget=None) -> int:  # noqa: N802
        if metric in (
            QStyle.PixelMetric.PM_FocusFrameHMargin,
            QStyle.PixelMetric.PM_FocusFrameVMargin,
        ):
            return FRAME_WIDTH
        return super().pixelMetric(metric, option, widget)


RINGED_TYPES = (QAbstractItemView, QPlainTextEdit, QTextEdit, QTabBar)
"""Qt's own focus stops whose focus the styles show too faintly."""
