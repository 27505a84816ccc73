"""Predictions in NumPy: no TensorFlow, so the canvas answers instantly and starts fast.

The public, stable API for scripts::

    from digitpad.inference import load_predictor
    predictor = load_predictor()          # the bundled default model
    probabilities = predictor.predict_proba(images)   # (N, 28, 28) float32 in [0, 1] -> (N, 10)
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digitpad.data import CLASSES, IMAGE_SIDE, PIXELS
from digitpad.errors import StoreError
from digitpad.evaluation import softmax
from digitpad.store import WEIGHTS_FILE, check_model_folder, find_model

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0, out=z),
    "tanh": lambda z: np.tanh(z, out=z),
    "sigmoid": lambda z: np.divide(1.0, 1.0 + np.exp(-z), out=z),
}
# Each activation's derivative written in terms of its output ``a``, which the forward pass
# has kept anyway: relu' = [a > 0], tanh' = 1 - a², sigmoid' = a(1 - a).
_DERIVATIVES = {
    "relu": lambda a: (a > 0).astype(np.float32),
    "tanh": lambda a: 1.0 - a * a,
    "sigmoid": lambda a: a * (1.0 - a),
}


@dataclass(frozen=True)
class Explanation:
    """Why a network answered as it did for one image.

    ``hidden`` holds each hidden layer's (units,) outputs; ``saliency`` is the (28, 28)
    input × gradient of ``digit``'s logit: positive where a pixel's ink pushed that digit up,
    negative where it pushed it down, 0 where there is no ink.
    """

    logits: np.ndarray
    probabilities: np.ndarray
    hidden: list[np.ndarray]
    digit: int
    saliency: np.ndarray


@dataclass
class Predictor:
    """An MLP's weights and its forward pass in NumPy (float32)."""

    layers: list[tuple[np.ndarray, np.ndarray]]
    activation: str = "relu"
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.activation not in _ACTIVATIONS:
            raise StoreError(f"model {self.name!r}: unknown activation {self.activation!r}")
        if (
            not self.layers
            or self.layers[0][0].shape[0] != PIXELS
            or self.layers[-1][0].shape[1] != CLASSES
        ):
            raise StoreError(f"model {self.name!r}: weights are not a 784-…-10 MLP")

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("metrics", {}).get("test_accuracy")

    def hidden_activations(self, images: np.ndarray) -> list[np.ndarray]:
        """Each hidden layer's outputs for (N, 28, 28) or (N, 784) images."""
        x = _as_rows(images)
        outputs = []
        for kernel, bias in self.layers[:-1]:
            x = _ACTIVATIONS[self.activation](x @ kernel + bias)
            outputs.append(x)
        return outputs

    def logits(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) logits for (N, 28, 28) or (N, 784) images in [0, 1]."""
        x = _as_rows(images)
        for kernel, bias in self.layers[:-1]:
            x = _ACTIVATIONS[self.activation](x @ kernel + bias)
        kernel, bias = self.layers[-1]
        return x @ kernel + bias

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) softmax probabilities for (N, 28, 28) float32 images in [0, 1]."""
        return softmax(self.logits(images))

    def explain(self, image: np.ndarray, digit: int | None = None) -> Explanation:
        """Probabilities, hidden activations and saliency for one (28, 28) image, from one
        forward and one backward pass in NumPy (about a millisecond for 784-800-800-10).

        The saliency explains ``digit`` (default: the top answer).
        """
        x = _as_rows(image)
        if len(x) != 1:
            raise ValueError("explain takes one image")
        hidden = []
        h = x
        for kernel, bias in self.layers[:-1]:
            h = _ACTIVATIONS[self.activation](h @ kernel + bias)
            hidden.append(h)
        kernel, bias = self.layers[-1]
        logits = (h @ kernel + bias)[0]
        digit = int(logits.argmax()) if digit is None else int(digit)
        # Backpropagate d logit[digit] / d input through each hidden layer, last to first.
        grad = kernel[:, digit][None, :]
        derivative = _DERIVATIVES[self.activation]
        for (kernel, _bias), out in zip(reversed(self.layers[:-1]), reversed(hidden), strict=True):
            grad = (grad * derivative(out)) @ kernel.T
        saliency = (x * grad).reshape(IMAGE_SIDE, IMAGE_SIDE)
        return Explanation(
            logits=logits,
            probabilities=softmax(logits[None])[0],
            hidden=[layer[0] for layer in hidden],
            digit=digit,
            saliency=saliency,
        )

    def saliency(self, image: np.ndarray, digit: int | None = None) -> np.ndarray:
        """(28, 28) input × d logit / d input for ``digit`` (default: the top answer)."""
        return self.explain(image, digit).saliency


def _as_rows(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 2 and x.shape == (IMAGE_SIDE, IMAGE_SIDE):
        x = x[None]
    if x.ndim == 3 and x.shape[1:] == (IMAGE_SIDE, IMAGE_SIDE):
        x = x.reshape(len(x), PIXELS)
    if x.ndim != 2 or x.shape[1] != PIXELS:
        raise ValueError(f"images must be (N, 28, 28) or (N, 784), not {np.shape(images)}")
    return x


def predictor_from_folder(folder: Path) -> Predictor:
    """The NumPy predictor of a stored model; :class:`StoreError` if it is damaged."""
    meta = check_model_folder(folder)
    path = folder / WEIGHTS_FILE
    try:
        with np.load(path, allow_pickle=False) as archive:
            count = len([k for k in archive.files if k.startswith("kernel")])
            layers = [(archive[f"kernel{i}"], archive[f"bias{i}"]) for i in range(count)]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise StoreError(f"{path}: unreadable weights ({exc})") from None
    activation = meta.get("config", {}).get("activation", "relu")
    # The folder's name, not the one saved in meta.json: a copied or renamed model is what the
    # user now calls it.
    return Predictor(layers, activation, folder.name, meta)


def load_predictor(
    name_or_path: str | os.PathLike[str] | None = None, store: str | os.PathLike[str] | None = None
) -> Predictor:
    """The predictor of a model by name or folder; ``None``: the bundled default model."""
    return predictor_from_folder(find_model(name_or_path, store))


def predictor_from_model(model: Any, name: str = "", meta: dict | None = None) -> Predictor:
    """A NumPy predictor with the weights of an in-memory Keras model (read, not shared)."""
    from digitpad.model import dense_weights

    activation = (meta or {}).get("config", {}).get("activation", "relu")
    return Predictor(dense_weights(model), activation, name, dict(meta or {}))
