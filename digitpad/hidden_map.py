"""The hidden map: where a layer puts each test image, flattened to two dimensions by PCA.

Every layer re-describes an image: the input layer by its 784 pixels, each hidden layer by its
units' outputs, the last by the ten logits. Projecting a few thousand test images' descriptions
onto their two directions of greatest variance shows, layer by layer, how the digits pull
apart. A new image (the drawing on the canvas) is placed on the same map, with its nearest test
images in the layer's own space (two dimensions keep only part of what the layer knows, so
neighbours are found before flattening).

Plain NumPy, no Qt and no TensorFlow. PCA uses the eigendecomposition of the features'
covariance (``np.linalg.eigh``): a (d, d) problem for d ≤ 800 features, several times faster
here than the SVD of the (N, d) data and the same directions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from digitpad.inference import Predictor
from digitpad.progress import Progress, run_to_end

MAP_IMAGES = 3000
"""Test images on the map by default: enough for every digit's cloud, few enough to draw."""
NEIGHBOURS = 5
_CHUNK = 1000


def layer_names(predictor: Predictor) -> list[str]:
    """The layers a map can show, input first: ``input (784)``, ``hidden 1 (800)``, ...,
    ``logits (10)``; a map's ``layer`` indexes this list."""
    names = ["input pixels (784)"]
    for i, (kernel, _) in enumerate(predictor.layers[:-1]):
        names.append(f"hidden {i + 1} ({kernel.shape[1]})")
    names.append("logits (10)")
    return names


def representation(predictor: Predictor, images: np.ndarray, layer: int) -> np.ndarray:
    """(N, d) float32: what layer ``layer`` (see :func:`layer_names`) makes of the images."""
    count = len(predictor.layers) + 1
    if not 0 <= layer < count:
        raise ValueError(f"layer must be 0-{count - 1}, not {layer}")
    x = np.asarray(images, dtype=np.float32)
    x = x.reshape(1 if x.ndim == 2 and x.shape == (28, 28) else len(x), -1)
    if layer == 0:
        return np.array(x, copy=True)
    if layer == count - 1:
        return predictor.logits(x)
    return predictor.hidden_activations(x)[layer - 1]


@dataclass(frozen=True)
class Placement:
    """A new image on a map: its 2-D ``point``, and its ``nearest`` test images as positions
    into the map's arrays (closest first) with their ``distances`` in the layer's space."""

    point: np.ndarray
    nearest: np.ndarray
    distances: np.ndarray


@dataclass(frozen=True)
class HiddenMap:
    """A layer's representation of ``indices`` (test-set positions) flattened by PCA.

    ``points`` (N, 2) are the map; ``labels`` and ``predicted`` each image's true and predicted
    digit; ``explained`` (2,) the share of the layer's variance each axis shows.
    """

    predictor: Predictor
    layer: int
    layer_name: str
    indices: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    features: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    points: np.ndarray
    explained: np.ndarray

    @property
    def mistakes(self) -> np.ndarray:
        """(N,) bool: the images the model gets wrong."""
        return self.predicted != self.labels

    def project(self, features: np.ndarray) -> np.ndarray:
        """(N, 2) map coordinates of (N, d) features of this layer."""
        return (np.asarray(features, dtype=np.float32) - self.mean) @ self.components

    def place(self, image: np.ndarray, neighbours: int = NEIGHBOURS) -> Placement:
        """Put one (28, 28) image on the map, with its ``neighbours`` nearest test images.

        About a millisecond for 3,000 images of 800 features: fast enough to follow the pen.
        """
        feature = representation(self.predictor, image, self.layer)[0]
        # |a - b|² = |a|² - 2a·b + |b|², with the map's norms computed once.
        distances = self._norms - 2.0 * (self.features @ feature) + float(feature @ feature)
        count = min(max(int(neighbours), 0), len(distances))
        if count:
            nearest = np.argpartition(distances, count - 1)[:count]
            nearest = nearest[np.argsort(distances[nearest], kind="stable")]
        else:
            nearest = np.empty(0, dtype=np.int64)
        return Placement(
            self.project(feature[None])[0],
            nearest.astype(np.int64),
            np.sqrt(np.maximum(distances[nearest], 0.0)),
        )

    @property
    def _norms(self) -> np.ndarray:
        norms = self.__dict__.get("_norm_cache")
        if norms is None:
            norms = np.einsum("ij,ij->i", self.features, self.features)
            object.__setattr__(self, "_norm_cache", norms)
        return norms


def map_sample(labels: np.ndarray, count: int = MAP_IMAGES, seed: int = 0) -> np.ndarray:
    """``count`` test-set positions drawn without replacement from ``seed``, in order."""
    total = len(labels)
    count = min(int(count), total)
    return np.sort(np.random.default_rng(seed).choice(total, size=count, replace=False))


def map_steps(
    predictor: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    layer: int,
    indices: np.ndarray | None = None,
) -> Iterator[Progress | HiddenMap]:
    """Build the map of layer ``layer`` for ``images[indices]`` (default: :func:`map_sample`),
    yielding :class:`Progress` per chunk of images and the :class:`HiddenMap` last."""
    names = layer_names(predictor)
    if not 0 <= layer < len(names):
        raise ValueError(f"layer must be 0-{len(names) - 1}, not {layer}")
    labels = np.asarray(labels, dtype=np.int64)
    indices = map_sample(labels) if indices is None else np.asarray(indices, dtype=np.int64)
    if len(indices) < 3:
        raise ValueError("a map needs at least 3 images")
    chosen = np.asarray(images, dtype=np.float32).reshape(len(images), -1)[indices]
    steps = -(-len(chosen) // _CHUNK) + 1
    features, predicted = [], []
    last_kernel, last_bias = predictor.layers[-1]
    for done, start in enumerate(range(0, len(chosen), _CHUNK), start=1):
        batch = chosen[start : start + _CHUNK]
        # One forward pass gives both the layer's features and the answers.
        layers = [batch, *predictor.hidden_activations(batch)]
        logits = layers[-1] @ last_kernel + last_bias
        layers.append(logits)
        features.append(layers[layer].copy() if layer == 0 else layers[layer])
        predicted.append(logits.argmax(axis=1))
        yield Progress(done, steps, f"{names[layer]}: {start + len(batch):,} images")
    features_all = np.concatenate(features)
    mean, components, explained = principal_axes(features_all)
    yield Progress(steps, steps, "PCA")
    yield HiddenMap(
        predictor=predictor,
        layer=layer,
        layer_name=names[layer],
        indices=indices,
        labels=labels[indices],
        predicted=np.concatenate(predicted),
        features=features_all,
        mean=mean,
        components=components,
        points=(features_all - mean) @ components,
        explained=explained,
    )


def build_map(
    predictor: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    layer: int,
    indices: np.ndarray | None = None,
) -> HiddenMap:
    """:func:`map_steps` run to the end."""
    return run_to_end(map_steps(predictor, images, labels, layer, indices))


def principal_axes(
    features: np.ndarray, axes: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA of (N, d) features: their (d,) mean, the (d, axes) directions of greatest variance
    and the (axes,) share of the variance along each.

    Each direction's sign is fixed (its largest coordinate positive) so the same data always
    gives the same picture, not a mirror image.
    """
    features = np.asarray(features, dtype=np.float32)
    mean = features.mean(axis=0, dtype=np.float64)
    centred = features - mean.astype(np.float32)
    # The (d, d) product in float32 (the costly part, twice as fast as float64); the small
    # eigenproblem in float64.
    covariance = (centred.T @ centred).astype(np.float64)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:axes]
    components = vectors[:, order]
    if components.shape[1] < axes:  # fewer features than axes: pad with zero directions
        components = np.pad(components, ((0, 0), (0, axes - components.shape[1])))
    flip = np.sign(components[np.abs(components).argmax(axis=0), np.arange(axes)])
    components = components * np.where(flip == 0, 1.0, flip)
    total = float(values.sum())
    explained = np.zeros(axes)
    top = np.clip(values[order], 0.0, None)
    explained[: len(top)] = top / total if total > 0 else 0.0
    return mean.astype(np.float32), components.astype(np.float32), explained
