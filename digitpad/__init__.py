"""digitpad: draw a digit, train an MLP on MNIST, and see why the network answers as it does.

The core modules (data, config, model, training, evaluation, store, inference, preprocess)
import no Qt; the window lives in :mod:`digitpad.gui`. TensorFlow is imported only where a
model is built, trained or saved, never on the canvas path.
"""

__version__ = "0.1.0"
