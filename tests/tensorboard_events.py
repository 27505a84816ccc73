"""Reading TensorBoard event files back, for the tests (pytest collects nothing here)."""

from __future__ import annotations


def read_events(logdir):
    """{tag: [(step, value array)]} and {tag: plugin name}, from the event files."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    values: dict[str, list] = {}
    plugins: dict[str, str] = {}
    for path in sorted(logdir.glob("events.out.tfevents.*")):
        for record_bytes in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record_bytes.numpy())
            for value in event.summary.value:
                array = tf.make_ndarray(value.tensor)
                values.setdefault(value.tag, []).append((event.step, array))
                if value.metadata.plugin_data.plugin_name:
                    plugins[value.tag] = value.metadata.plugin_data.plugin_name
    return values, plugins
