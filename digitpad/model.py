"""The MLP, built from a :class:`TrainConfig` with plain Keras layers.

The network outputs logits; softmax is applied by the loss and by the predictors, so a saved
``.keras`` file holds only standard layers that ``keras.models.load_model`` opens as is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digitpad.config import TrainConfig
from digitpad.data import CLASSES, PIXELS

if TYPE_CHECKING:
    import keras


def _initializer(name: str, seed: int):
    import keras

    if name == "truncated_normal":
        # The tutorial's tf.truncated_normal(stddev=0.01).
        return keras.initializers.TruncatedNormal(stddev=0.01, seed=seed)
    if name == "he":
        return keras.initializers.HeNormal(seed=seed)
    return keras.initializers.GlorotUniform(seed=seed)


def build_model(config: TrainConfig) -> keras.Sequential:
    """A Sequential 784-…-10 MLP (logits out), weights drawn from ``config.seed``."""
    import keras

    config.validate()
    regularizer = keras.regularizers.L2(config.l2) if config.l2 else None
    layers: list = [keras.Input(shape=(PIXELS,), name="pixels")]
    for i, width in enumerate(config.hidden):
        layers.append(
            keras.layers.Dense(
                width,
                activation=config.activation,
                kernel_initializer=_initializer(config.init, config.seed + i),
                kernel_regularizer=regularizer,
                name=f"hidden{i + 1}",
            )
        )
        if config.dropout:
            layers.append(
                keras.layers.Dropout(
                    config.dropout, seed=config.seed + 100 + i, name=f"drop{i + 1}"
                )
            )
    layers.append(
        keras.layers.Dense(
            CLASSES,
            kernel_initializer=_initializer(config.init, config.seed + len(config.hidden)),
            kernel_regularizer=regularizer,
            name="logits",
        )
    )
    return keras.Sequential(layers, name="digitpad_mlp")


def dense_weights(model: keras.Model) -> list[tuple]:
    """(kernel, bias) NumPy pairs of the model's Dense layers, input to output."""
    import keras

    return [
        (keras.ops.convert_to_numpy(layer.kernel), keras.ops.convert_to_numpy(layer.bias))
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    ]
