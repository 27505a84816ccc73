"""Take a stored model elsewhere: a TensorFlow SavedModel, a ``.tflite`` file, or plain NumPy.

Every export is checked before it is reported: the exported file is loaded back the way its
users will load it and its answers on test images are compared with the stored model's. Only a
verified export is moved into place (written next to the target, then renamed), so a failed or
interrupted export never leaves a file that looks usable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.errors import DigitpadError
from digitpad.inference import Predictor, predictor_from_folder
from digitpad.store import load_keras_model

FORMATS = ("savedmodel", "tflite", "npz")
CHECK_IMAGES = 1000
# How far the exported model's softmax outputs may be from the stored model's. A SavedModel
# and the NumPy weights run the same float32 maths; TFLite fuses and reorders operations.
TOLERANCE = {"savedmodel": 1e-5, "tflite": 1e-3, "npz": 1e-5}
SUFFIX = {"savedmodel": "", "tflite": ".tflite", "npz": ".npz"}


class ExportError(DigitpadError):
    """The export could not be written or did not pass its check."""


@dataclass(frozen=True)
class ExportReport:
    """Where the export went and how closely it matches the stored model."""

    format: str
    path: Path
    images_checked: int
    max_difference: float
    tolerance: float
    same_answers: int

    def summary(self) -> str:
        return (
            f"exported {self.format} to {self.path}; checked on {self.images_checked} test "
            f"images: largest probability difference {self.max_difference:.2g} "
            f"(allowed {self.tolerance:g}), same answer on {self.same_answers}"
        )


def default_target(name: str, fmt: str) -> Path:
    """``NAME.tflite``, ``NAME.npz`` or ``NAME-savedmodel/`` in the current folder."""
    return Path(f"{name}-savedmodel" if fmt == "savedmodel" else f"{name}{SUFFIX[fmt]}")


def check_target(target: Path, *, overwrite: bool = False) -> Path:
    """``target`` made absolute, if it can be written; :class:`ExportError` says why not."""
    target = Path(target).expanduser().absolute()
    if target.exists() and not overwrite:
        raise ExportError(f"{target} already exists (use --overwrite to replace it)")
    parent = target.parent
    if not parent.is_dir():
        raise ExportError(f"{parent}: no such folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"{parent}: cannot write here")
    return target


def export_model(
    folder: Path,
    fmt: str,
    target: Path,
    images: np.ndarray,
    *,
    overwrite: bool = False,
) -> ExportReport:
    """Export the model stored in ``folder`` as ``fmt`` to ``target``, verified on ``images``.

    ``images`` are (N, 28, 28) float32 test images in [0, 1]; the first :data:`CHECK_IMAGES`
    are used. Raises :class:`ExportError` (nothing is left at ``target``) if the export cannot
    be written or its answers differ from the stored model's by more than the format allows.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (choose {', '.join(FORMATS)})")
    target = check_target(target, overwrite=overwrite)
    predictor = predictor_from_folder(folder)
    sample = np.asarray(images[:CHECK_IMAGES], np.float32)
    expected = predictor.predict_proba(sample)
    writer, reader = _WRITERS[fmt]
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.exporting-", dir=target.parent))
    try:
        written = staging / (target.name if fmt != "savedmodel" else "model")
        try:
            writer(folder, predictor, written)
        except DigitpadError:
            raise
        except Exception as exc:  # TensorFlow raises many types for one failed conversion.
            raise ExportError(f"could not export {fmt}: {type(exc).__name__}: {exc}") from None
        actual = reader(written, sample)
        report = ExportReport(
            fmt,
            target,
            len(sample),
            float(np.max(np.abs(actual - expected))),
            TOLERANCE[fmt],
            int(np.sum(actual.argmax(1) == expected.argmax(1))),
        )
        if not report.max_difference <= report.tolerance:
            raise ExportError(
                f"the exported {fmt} model does not match the stored one: largest probability "
                f"difference {report.max_difference:.3g} > {report.tolerance:g}; nothing written"
            )
        _move_into_place(written, target, fmt)
        if fmt == "npz":
            _move_into_place(_layout_path(written), _layout_path(target), "npz")
    except OSError as exc:
        raise ExportError(f"{target}: could not write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


# --- SavedModel ---------------------------------------------------------------------------


def _write_savedmodel(folder: Path, predictor: Predictor, path: Path) -> None:
    model = load_keras_model(folder)
    # Keras 3's export for serving: a SavedModel with a ``serve`` endpoint taking (N, 784).
    model.export(str(path), format="tf_saved_model", verbose=False)


def _read_savedmodel(path: Path, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    logits = loaded.serve(tf.constant(images.reshape(len(images), -1)))
    return _softmax(np.asarray(logits))


# --- TFLite -------------------------------------------------------------------------------


def _write_tflite(folder: Path, predictor: Predictor, path: Path) -> None:
    import tensorflow as tf

    model = load_keras_model(folder)
    # Through a SavedModel: the converter's documented input, whatever Keras version saved it.
    with tempfile.TemporaryDirectory(prefix="digitpad-tflite-") as scratch:
        model.export(scratch, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(scratch)
        content = converter.convert()  # float32: no quantisation unless asked for
    path.write_bytes(content)


def _read_tflite(path: Path, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    with warnings.catch_warnings():
        # TensorFlow 2.20+ points to the separate LiteRT package; tf.lite still reads the file
        # exactly as a phone would, which is what this check is for.
        warnings.simplefilter("ignore", UserWarning)
        interpreter = tf.lite.Interpreter(
            model_path=str(path),
            # Plain built-in kernels: no XNNPACK delegate and its log line.
            experimental_op_resolver_type=(
                tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            ),
        )
    rows = images.reshape(len(images), -1).astype(np.float32)
    (entry,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(entry["index"], rows.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(entry["index"], rows)
    interpreter.invoke()
    (out,) = interpreter.get_output_details()
    return _softmax(interpreter.get_tensor(out["index"]))


# --- NumPy --------------------------------------------------------------------------------

_LAYOUT = """\
# {name}: a 784-{widths}-10 multilayer perceptron as plain NumPy arrays

Load with `weights = numpy.load("{file}")`. The arrays, all float32:

{arrays}
- `activation`: the hidden layers' activation, `{activation}` (a 0-d string array).

The forward pass for a batch of images `x` of shape (N, 784): pixels in [0, 1], 0 = background,
1 = ink, each 28x28 image flattened row by row (MNIST's layout, white digit on black):

```python
import numpy as np

w = np.load("{file}")
a = x
for i in range({hidden}):
    a = {formula}(a @ w[f"kernel{{i}}"] + w[f"bias{{i}}"])
logits = a @ w["kernel{hidden}"] + w["bias{hidden}"]
probabilities = np.exp(logits - logits.max(1, keepdims=True))
probabilities /= probabilities.sum(1, keepdims=True)
digit = probabilities.argmax(1)
```

The output layer gives logits; softmax turns them into the ten digits' probabilities.
Exported by digitpad from the model stored in `{source}`.
"""


def _layout_path(path: Path) -> Path:
    return path.with_suffix(".md")


def layout_text(predictor: Predictor, file_name: str, source: str) -> str:
    """The one-page description of an exported ``.npz``: keys, shapes, the forward pass."""
    arrays = "\n".join(
        f"- `kernel{i}` {kernel.shape} and `bias{i}` {bias.shape}: "
        + ("hidden layer" if i < len(predictor.layers) - 1 else "output layer")
        + f" {i + 1}, `a @ kernel{i} + bias{i}`"
        for i, (kernel, bias) in enumerate(predictor.layers)
    )
    hidden = len(predictor.layers) - 1
    call = {"relu": "relu", "tanh": "np.tanh", "sigmoid": "sigmoid"}[predictor.activation]
    text = _LAYOUT.format(
        name=predictor.name or "model",
        widths="-".join(str(k.shape[1]) for k, _ in predictor.layers[:-1]),
        file=file_name,
        arrays=arrays,
        activation=predictor.activation,
        hidden=hidden,
        formula=call,
        source=source,
    )
    helpers = {
        "relu": "relu = lambda z: np.maximum(z, 0)\n",
        "sigmoid": "sigmoid = lambda z: 1 / (1 + np.exp(-z))\n",
        "tanh": "",
    }[predictor.activation]
    return text.replace("w = np.load(", helpers + "w = np.load(", 1)


def _write_npz(folder: Path, predictor: Predictor, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    for i, (kernel, bias) in enumerate(predictor.layers):
        arrays[f"kernel{i}"] = np.asarray(kernel, np.float32)
        arrays[f"bias{i}"] = np.asarray(bias, np.float32)
    arrays["activation"] = np.array(predictor.activation)
    with path.open("wb") as handle:
        # NumPy's stub types **kwds as if a name could be allow_pickle (a bool).
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    _layout_path(path).write_text(layout_text(predictor, path.name, str(folder)), encoding="utf-8")


def _read_npz(path: Path, images: np.ndarray) -> np.ndarray:
    # Exactly what the layout page tells a reader to do, in plain NumPy.
    with np.load(path, allow_pickle=False) as weights:
        activation = str(weights["activation"])
        hidden = sum(1 for key in weights.files if key.startswith("kernel")) - 1
        a = images.reshape(len(images), -1).astype(np.float32)
        for i in range(hidden):
            a = _ACTIVATE[activation](a @ weights[f"kernel{i}"] + weights[f"bias{i}"])
        logits = a @ weights[f"kernel{hidden}"] + weights[f"bias{hidden}"]
    return _softmax(logits)


_ACTIVATE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
}


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def _move_into_place(source: Path, target: Path, fmt: str) -> None:
    """Rename ``source`` to ``target``; an old ``target`` goes only once the new one is there."""
    if not target.exists():
        os.replace(source, target)
        return
    aside = target.with_name(f".{target.name}.replaced-{os.getpid()}")
    os.replace(target, aside)
    try:
        os.replace(source, target)
    except OSError:
        os.replace(aside, target)
        raise
    if aside.is_dir():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)


_WRITERS = {
    "savedmodel": (_write_savedmodel, _read_savedmodel),
    "tflite": (_write_tflite, _read_tflite),
    "npz": (_write_npz, _read_npz),
}
