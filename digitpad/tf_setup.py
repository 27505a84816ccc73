"""Import TensorFlow quietly: no oneDNN banner, no C++ info lines, no retracing warnings.

They are addressed to TensorFlow's developers, not to someone training a digit reader, and the
retracing warning is expected here (validation and test batches have other shapes than the
training chunks). Must run before anything imports TensorFlow or Keras in the process; later
calls only return the module.
"""

from __future__ import annotations

import logging
import os


def quiet_tensorflow():
    """Set TensorFlow's logging defaults (a user's own settings win), import it, return it.

    TF_ENABLE_ONEDNN_OPTS=0: the oneDNN banner is printed before TensorFlow reads any log
    level, so only turning the option off silences it. Training runs in XLA-compiled code,
    which oneDNN does not touch; and with it off, results no longer vary with the rounding of
    oneDNN's thread-dependent kernels.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tf
