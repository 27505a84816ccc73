"""Thousands of test images in a grid: a list model over an index array, thumbnails on demand.

The model holds only indices into the test set; a thumbnail is made when the view first asks
for it (only visible items are asked) and kept in a small cache, so listing all 10,000 images
costs nothing up front.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QListView, QWidget

from digitpad.coverage import meets_threshold
from digitpad.evaluation import Evaluation
from digitpad.gui.digit_image import digit_qimage
from digitpad.gui.probability_bars import percent_text

THUMBNAIL_SCALE = 3
_CACHE_SIZE = 600  # a few screens of thumbnails; each is made in microseconds anyway
_MISTAKE_COLOUR = QColor(214, 69, 65)
_HELD_BACK_COLOUR = QColor(128, 128, 128)  # readable on light and dark palettes

TestIndexRole = Qt.ItemDataRole.UserRole + 1
"""Data role giving the item's index in the test set."""

_Index = QModelIndex | QPersistentModelIndex


class DigitListModel(QAbstractListModel):
    """The test images at ``indices``, each shown as a thumbnail and "true → predicted"."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._images: np.ndarray | None = None
        self._evaluation: Evaluation | None = None
        self._indices = np.zeros(0, dtype=np.int64)
        self._thumbnails: OrderedDict[int, QPixmap] = OrderedDict()
        self._pixel_ratio = 1.0
        self._threshold = 0.0

    def set_device_pixel_ratio(self, ratio: float) -> None:
        """Make thumbnails with this many device pixels per logical one (HiDPI screens)."""
        if ratio != self._pixel_ratio:
            self._pixel_ratio = ratio
            self._thumbnails.clear()

    def set_source(self, images: np.ndarray, evaluation: Evaluation) -> None:
        """The (N, 28, 28) test images and a model's evaluation on them; empties the list."""
        self.beginResetModel()
        if self._images is not images:
            self._thumbnails.clear()
        self._images = images
        self._evaluation = evaluation
        self._indices = np.zeros(0, dtype=np.int64)
        self.endResetModel()

    def set_indices(self, indices: np.ndarray) -> None:
        """List the test images at ``indices``, in that order."""
        self.beginResetModel()
        self._indices = np.asarray(indices, dtype=np.int64)
        self.endResetModel()

    def set_threshold(self, value: float) -> None:
        """Mark the images the network answers with less confidence than ``value`` as the
        ones it would hold back ("not sure") at that threshold."""
        if value != self._threshold:
            self._threshold = value
            if len(self._indices):
                self.dataChanged.emit(self.index(0), self.index(len(self._indices) - 1))

    def held_back(self, row: int) -> bool:
        """Whether the image at ``row`` falls below the confidence threshold."""
        if self._evaluation is None:
            return False
        confidence = float(self._evaluation.confidence[self._indices[row]])
        return not meets_threshold(confidence, self._threshold)

    @property
    def indices(self) -> np.ndarray:
        return self._indices

    @property
    def cached_thumbnails(self) -> int:
        """How many thumbnails have been made and kept."""
        return len(self._thumbnails)

    def test_index(self, row: int) -> int:
        return int(self._indices[row])

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._indices)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or self._evaluation is None or self._images is None:
            return None
        i = int(self._indices[index.row()])
        evaluation = self._evaluation
        true, guess = int(evaluation.labels[i]), int(evaluation.predicted[i])
        held_back = self.held_back(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            sure = percent_text(float(evaluation.confidence[i]))
            # A short mark that fits the thumbnail's width; the tooltip says it in words.
            return f"{true} → {guess}{' ?' if held_back else ''}\n{sure}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(i)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"Test image #{i}: a {true}, read as {guess} "
                f"({percent_text(float(evaluation.confidence[i]))} sure)"
                + (": below the threshold, so the app would say “not sure”" if held_back else "")
            )
        if role == Qt.ItemDataRole.ForegroundRole and held_back:
            return _HELD_BACK_COLOUR
        if role == Qt.ItemDataRole.ForegroundRole and true != guess:
            return _MISTAKE_COLOUR
        if role == TestIndexRole:
            return i
        return None

    def _thumbnail(self, i: int) -> QPixmap:
        pixmap = self._thumbnails.get(i)
        if pixmap is None:
            assert self._images is not None  # data() asks for thumbnails only once it has images
            # Whole device pixels per MNIST pixel, so a thumbnail stays crisp on HiDPI too.
            scale = max(1, round(THUMBNAIL_SCALE * self._pixel_ratio))
            pixmap = QPixmap.fromImage(digit_qimage(self._images[i], scale))
            pixmap.setDevicePixelRatio(scale / THUMBNAIL_SCALE)
            self._thumbnails[i] = pixmap
            if len(self._thumbnails) > _CACHE_SIZE:
                self._thumbnails.popitem(last=False)
        else:
            self._thumbnails.move_to_end(i)
        return pixmap


def make_grid_view(model: DigitListModel, parent: QWidget | None = None) -> QListView:
    """A QListView in icon mode laid out for MNIST thumbnails."""
    view = QListView(parent)
    view.setModel(model)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setMovement(QListView.Movement.Static)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setUniformItemSizes(True)
    # Batched layout keeps the view responsive when a filter lists all 10,000 images.
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(500)
    view.setWordWrap(True)
    view.setSpacing(4)
    side = 28 * THUMBNAIL_SCALE
    view.setIconSize(QSize(side, side))
    line = view.fontMetrics().height()
    view.setGridSize(QSize(side + 18, side + 2 * line + 12))
    view.setSelectionMode(QListView.SelectionMode.SingleSelection)
    view.setAccessibleName("Images")
    view.setAccessibleDescription(
        "Thumbnails with their true and predicted digit; arrow keys move, Enter opens one"
    )
    model.set_device_pixel_ratio(view.devicePixelRatioF())
    return view
