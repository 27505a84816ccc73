"""How big a network is: its layers, their output shapes, activations and parameter counts.

Like Keras' ``model.summary()``, but from a :class:`~digitpad.config.TrainConfig` (before the
network exists, so the Train tab can show it while the user edits the settings) or from a
NumPy :class:`~digitpad.inference.Predictor` (a trained model, without TensorFlow). Only the
Dense layers hold parameters; dropout has none and changes no shape, so it is a note on the
layer it follows rather than a row of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from digitpad.data import CLASSES, PIXELS

if TYPE_CHECKING:
    from digitpad.config import TrainConfig
    from digitpad.inference import Predictor

BYTES_PER_PARAMETER = 4
"""float32, as Keras trains and the store saves them."""

_DISPLAY = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
# The last layer outputs logits; both the loss and every predictor put them through softmax,
# so that is what the layer means to a learner reading the table.
OUTPUT_ACTIVATION = "softmax"


@dataclass(frozen=True)
class LayerSummary:
    """One Dense layer: ``inputs`` -> ``units`` outputs through ``activation``."""

    name: str
    inputs: int
    units: int
    activation: str
    dropout: float = 0.0

    @property
    def weights(self) -> int:
        return self.inputs * self.units

    @property
    def biases(self) -> int:
        return self.units

    @property
    def parameters(self) -> int:
        return self.weights + self.biases

    @property
    def output_shape(self) -> str:
        """Keras' notation: ``(None, 800)``, None standing for the batch size."""
        return f"(None, {self.units})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "units": self.units,
            "activation": self.activation,
            "parameters": self.parameters,
        }


@dataclass(frozen=True)
class NetworkSummary:
    """A 784-…-10 MLP's Dense layers, input to output."""

    layers: tuple[LayerSummary, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        """Every layer's width including the input: (784, 800, 800, 10)."""
        return (self.layers[0].inputs, *(layer.units for layer in self.layers))

    @property
    def parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)

    @property
    def bytes(self) -> int:
        return self.parameters * BYTES_PER_PARAMETER

    @property
    def activation(self) -> str:
        """The hidden layers' activation as shown to people (``ReLU``)."""
        hidden = self.layers[:-1]
        return _DISPLAY.get(hidden[0].activation, hidden[0].activation) if hidden else ""

    def one_line(self) -> str:
        """``784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB``."""
        shape = "-".join(str(w) for w in self.widths)
        return f"{shape} {self.activation}: {self.parameters:,} parameters, {_size(self.bytes)}"

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Table rows (layer, output shape, activation, parameters), a total row last."""
        rows = [("input", f"(None, {self.widths[0]})", "", "0")]
        for layer in self.layers:
            name = layer.name + (f" + dropout {layer.dropout:g}" if layer.dropout else "")
            rows.append((name, layer.output_shape, layer.activation, f"{layer.parameters:,}"))
        rows.append(("total", "", "", f"{self.parameters:,} ({_size(self.bytes)})"))
        return rows

    def table(self) -> str:
        """The rows as fixed-width text, for the command line."""
        header = ("layer", "output shape", "activation", "parameters")
        rows = [header, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
            for r in rows
        ]
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule, *lines[1:-1], rule, lines[-1]])

    def layers_json(self) -> list[dict[str, Any]]:
        """One JSON-ready object per Dense layer (name, units, activation, parameters)."""
        return [layer.to_dict() for layer in self.layers]


def summary_from_widths(
    hidden: Sequence[int], activation: str = "relu", dropout: float = 0.0
) -> NetworkSummary:
    """The summary of a 784-``hidden``-10 MLP. Raises ValueError for a width below 1."""
    widths = [PIXELS, *(int(w) for w in hidden), CLASSES]
    if len(widths) < 3 or min(widths) < 1:
        raise ValueError(f"hidden widths must be at least one positive number, not {hidden!r}")
    layers = [
        LayerSummary(f"hidden{i + 1}", widths[i], widths[i + 1], activation, dropout)
        for i in range(len(widths) - 2)
    ]
    layers.append(LayerSummary("logits", widths[-2], CLASSES, OUTPUT_ACTIVATION))
    return NetworkSummary(tuple(layers))


def summary_from_config(config: TrainConfig) -> NetworkSummary:
    """The network ``config`` builds (see :func:`digitpad.model.build_model`)."""
    return summary_from_widths(config.hidden, config.activation, config.dropout)


def summary_from_predictor(predictor: Predictor) -> NetworkSummary:
    """The network a trained model holds, read from its weight shapes."""
    layers = []
    last = len(predictor.layers) - 1
    for i, (kernel, bias) in enumerate(predictor.layers):
        inputs, units = kernel.shape
        if bias.shape != (units,):
            raise ValueError(
                f"layer {i + 1}: bias {bias.shape} does not match kernel {kernel.shape}"
            )
        name, activation = (
            ("logits", OUTPUT_ACTIVATION) if i == last else (f"hidden{i + 1}", predictor.activation)
        )
        layers.append(LayerSummary(name, inputs, units, activation))
    return NetworkSummary(tuple(layers))


def config_summary_text(config: TrainConfig) -> str:
    """The one line for the Train tab; a readable reason instead when ``config`` is invalid."""
    from digitpad.errors import ConfigError

    try:
        config.validate()
    except ConfigError as exc:
        return f"no network: {exc}"
    return summary_from_config(config).one_line()


def _size(count: int) -> str:
    """Bytes in decimal units, as file managers show them: 5.1 MB, 636 kB."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    if count >= 1_000:
        return f"{count / 1_000:.0f} kB"
    return f"{count} B"
