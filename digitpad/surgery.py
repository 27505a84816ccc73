"""Break a network on purpose: switch off hidden units or a layer's biases, prune its smallest
weights, add noise to its weights, and measure what that does to the test accuracy.

Every edit works on a copy: :func:`edited` returns a new :class:`Predictor` and never writes
into the arrays of the one it was given (a stored model stays as it was). Plain NumPy, no Qt
and no TensorFlow, so the Network tab can run it in a worker thread and the tests call it
directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from digitpad.inference import Predictor
from digitpad.progress import run_to_end

MAX_PRUNE_PERCENT = 100.0
ACCURACY_CHUNK = 2000
"""Images per forward pass when measuring accuracy: 2,000 rows of 800 float32 activations
stay in cache, and the caller can stop between chunks."""

PRUNING_PERCENTS = (0, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 95, 97, 99)
"""Where the pruning curve is measured: denser at the end, where accuracy falls."""


@dataclass(frozen=True)
class Edits:
    """What to break, all at once. Empty by default (the network as trained).

    ``units_off`` holds (hidden layer, unit) pairs, both counted from 0; ``biases_off`` the
    indices of Dense layers (0 is the first hidden layer, the last is the output) whose biases
    are set to 0; ``prune_percent`` the share of each layer's weights, smallest magnitude
    first, set to 0; ``noise`` the standard deviation of Gaussian noise added to each weight,
    as a multiple of that layer's own weight standard deviation, drawn from ``seed``.
    """

    units_off: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    biases_off: frozenset[int] = field(default_factory=frozenset)
    prune_percent: float = 0.0
    noise: float = 0.0
    seed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.units_off or self.biases_off or self.prune_percent or self.noise)

    def toggled_unit(self, layer: int, unit: int) -> Edits:
        """A copy with unit ``unit`` of hidden layer ``layer`` switched off, or back on."""
        key = (int(layer), int(unit))
        units = self.units_off - {key} if key in self.units_off else self.units_off | {key}
        return replace(self, units_off=frozenset(units))

    def with_biases_off(self, layer: int, off: bool = True) -> Edits:
        """A copy with Dense layer ``layer``'s biases off (or back on)."""
        biases = self.biases_off | {layer} if off else self.biases_off - {layer}
        return replace(self, biases_off=frozenset(biases))

    def describe(self) -> str:
        """A short line such as ``3 units off, 50% pruned`` (``as trained`` when empty)."""
        parts = []
        if self.units_off:
            parts.append(f"{len(self.units_off)} unit{'s' * (len(self.units_off) != 1)} off")
        if self.biases_off:
            layers = ", ".join(str(i + 1) for i in sorted(self.biases_off))
            parts.append(f"biases off in layer {layers}")
        if self.prune_percent:
            parts.append(f"{self.prune_percent:g}% pruned")
        if self.noise:
            parts.append(f"weight noise {self.noise:g}σ")
        return ", ".join(parts) or "as trained"


def check_edits(predictor: Predictor, edits: Edits) -> None:
    """Raise ValueError if ``edits`` names a layer or unit ``predictor`` does not have, or a
    value out of range."""
    dense = len(predictor.layers)
    for layer, unit in edits.units_off:
        if not 0 <= layer < dense - 1:
            raise ValueError(f"there is no hidden layer {layer + 1} (the network has {dense - 1})")
        width = predictor.layers[layer][0].shape[1]
        if not 0 <= unit < width:
            raise ValueError(f"hidden layer {layer + 1} has {width} units, not unit {unit + 1}")
    for layer in edits.biases_off:
        if not 0 <= layer < dense:
            raise ValueError(f"there is no layer {layer + 1} (the network has {dense})")
    if not 0.0 <= edits.prune_percent <= MAX_PRUNE_PERCENT:
        raise ValueError(f"prune percent must be in [0, 100], not {edits.prune_percent}")
    if not (np.isfinite(edits.noise) and edits.noise >= 0.0):
        raise ValueError(f"weight noise must be 0 or more, not {edits.noise}")


def edited(predictor: Predictor, edits: Edits) -> Predictor:
    """A copy of ``predictor`` with ``edits`` applied; ``predictor`` is left untouched.

    Order: prune (on the trained magnitudes), add noise (to what is left: a pruned weight
    stays 0, which is what pruning means), then switch off biases and units. A unit is off
    when nothing reaches it (its incoming weights and bias are 0) and nothing leaves it (its
    outgoing weights are 0): the latter is what silences it for any activation, since
    sigmoid(0) is 0.5, not 0.
    """
    check_edits(predictor, edits)
    layers = []
    for i, (kernel, bias) in enumerate(predictor.layers):
        kernel = prune_smallest(kernel, edits.prune_percent)  # always a copy
        if edits.noise:
            kernel = _with_noise(kernel, edits.noise, edits.seed, i)
        bias = np.zeros_like(bias) if i in edits.biases_off else bias.copy()
        layers.append([kernel, bias])
    for layer, unit in edits.units_off:
        layers[layer][0][:, unit] = 0.0
        layers[layer][1][unit] = 0.0
        layers[layer + 1][0][unit, :] = 0.0
    name = predictor.name if edits.empty else f"{predictor.name} (edited)"
    meta = {k: v for k, v in predictor.meta.items() if k != "metrics"}  # its scores are stale
    return Predictor([(k, b) for k, b in layers], predictor.activation, name, meta)


def prune_smallest(kernel: np.ndarray, percent: float) -> np.ndarray:
    """A copy of ``kernel`` with its ``percent``% smallest-magnitude weights set to 0.

    Exactly round(size × percent / 100) weights go, ties broken by position, so 0% changes
    nothing and 100% zeroes them all.
    """
    pruned = np.array(kernel, dtype=np.float32, copy=True)
    count = round(pruned.size * float(percent) / 100.0)
    if count <= 0:
        return pruned
    flat = pruned.reshape(-1)
    if count >= flat.size:
        flat[:] = 0.0
        return pruned
    smallest = np.argpartition(np.abs(flat), count - 1)[:count]
    flat[smallest] = 0.0
    return pruned


def weights_kept(predictor: Predictor) -> float:
    """The share of kernel weights that are not 0 (biases not counted)."""
    total = sum(kernel.size for kernel, _ in predictor.layers)
    nonzero = sum(int(np.count_nonzero(kernel)) for kernel, _ in predictor.layers)
    return nonzero / total


def _with_noise(kernel: np.ndarray, noise: float, seed: int, layer: int) -> np.ndarray:
    # One generator per layer, so a layer's noise pattern does not depend on the others' sizes
    # and the same seed gives the same pattern, only scaled, as the slider moves.
    rng = np.random.default_rng([seed, layer])
    scale = np.float32(noise * float(kernel.std()))
    noisy = rng.standard_normal(kernel.shape, dtype=np.float32)
    noisy *= scale
    noisy += kernel
    # Pruned weights stay pruned.
    noisy[kernel == 0] = 0.0
    return noisy


def predictions(
    predictor: Predictor, images: np.ndarray, chunk: int = ACCURACY_CHUNK
) -> Iterator[np.ndarray]:
    """The predicted digit of each image, one (≤ chunk,) int array per chunk of images."""
    for start in range(0, len(images), chunk):
        yield predictor.logits(images[start : start + chunk]).argmax(axis=1)


def accuracy(
    predictor: Predictor, images: np.ndarray, labels: np.ndarray, chunk: int = ACCURACY_CHUNK
) -> float:
    """Share of ``images`` (N, 784) or (N, 28, 28) that ``predictor`` reads as ``labels``."""
    last = run_to_end(accuracy_steps(predictor, images, labels, chunk))
    return last.accuracy if last is not None else float("nan")


@dataclass(frozen=True)
class PartialAccuracy:
    """``right`` answers among the first ``done`` of ``total`` images."""

    right: int
    done: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.right / self.done if self.done else float("nan")


def accuracy_steps(
    predictor: Predictor, images: np.ndarray, labels: np.ndarray, chunk: int = ACCURACY_CHUNK
) -> Iterator[PartialAccuracy]:
    """Accuracy measured a chunk at a time: each item counts all images so far, the last one
    all of them. On a busy machine the first chunk's figure can be shown while the rest runs,
    and a caller that no longer needs the answer stops between chunks."""
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    right = 0
    for start, predicted in zip(
        range(0, len(images), chunk), predictions(predictor, images, chunk), strict=True
    ):
        right += int(np.count_nonzero(predicted == labels[start : start + chunk]))
        yield PartialAccuracy(right, min(start + chunk, len(labels)), len(labels))


@dataclass(frozen=True)
class PruningPoint:
    """One measured point of the pruning curve (also the progress of :func:`pruning_curve`)."""

    percent: float
    kept: float
    accuracy: float
    done: int
    total: int


def pruning_curve(
    predictor: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    percents: Iterable[float] = PRUNING_PERCENTS,
    edits: Edits | None = None,
) -> Iterator[PruningPoint]:
    """Test accuracy as ever more of each layer's weights are pruned: one point per percent,
    yielded as it is measured, so a caller can show progress and stop between points.

    ``edits`` (its other changes) apply at every point; only its prune share is replaced.
    """
    percents = list(percents)
    base = edits or Edits()
    for done, percent in enumerate(percents, start=1):
        network = edited(predictor, replace(base, prune_percent=float(percent)))
        yield PruningPoint(
            float(percent),
            weights_kept(network),
            accuracy(network, images, labels),
            done,
            len(percents),
        )


def edit_and_measure(
    predictor: Predictor,
    edits: Edits,
    images: np.ndarray,
    labels: np.ndarray,
    chunk: int = ACCURACY_CHUNK,
) -> Iterator[Predictor | PartialAccuracy]:
    """The edited network first (so the drawing's answer can change at once), then its test
    accuracy a chunk at a time (see :func:`accuracy_steps`), the last item covering all
    images."""
    network = edited(predictor, edits)
    yield network
    yield from accuracy_steps(network, images, labels, chunk)
