"""``digitpad eval`` reports the network's size: total parameters and one entry per layer."""

import json

import numpy as np

from digitpad.cli import main
from digitpad.inference import load_predictor


def test_eval_json_has_parameters_and_one_object_per_dense_layer(capsys):
    assert main(["eval", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    predictor = load_predictor()
    assert result["parameters"] == sum(k.size + b.size for k, b in predictor.layers)
    assert [layer["units"] for layer in result["layers"]] == [
        k.shape[1] for k, _ in predictor.layers
    ]
    assert [layer["activation"] for layer in result["layers"]] == ["relu", "relu", "softmax"]
    assert sum(layer["parameters"] for layer in result["layers"]) == result["parameters"]
    assert result["test_accuracy"] > 0.98  # the metrics are still there


def test_eval_text_prints_the_layer_table(capsys):
    assert main(["eval"]) == 0
    out = capsys.readouterr().out
    assert "784-800-800-10 ReLU: 1,276,810 parameters, 5.1 MB" in out
    table = out[out.index("layer ") :].splitlines()
    assert [line.split()[0] for line in table if line and line[0] != "-"] == [
        "layer",
        "input",
        "hidden1",
        "hidden2",
        "logits",
        "total",
    ]


def test_eval_of_a_small_model_counts_its_own_layers(capsys, tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    source = load_predictor()
    # A copy of the bundled model's files with other weights: a 784-16-10 network.
    for name in ("meta.json", "model.keras"):
        (folder / name).write_bytes((source_dir() / name).read_bytes())
    rng = np.random.default_rng(0)
    np.savez(
        folder / "weights.npz",
        kernel0=rng.standard_normal((784, 16)).astype(np.float32),
        bias0=np.zeros(16, np.float32),
        kernel1=rng.standard_normal((16, 10)).astype(np.float32),
        bias1=np.zeros(10, np.float32),
    )
    assert source.name == "default"
    assert main(["eval", str(folder), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["parameters"] == 784 * 16 + 16 + 16 * 10 + 10
    assert [layer["units"] for layer in result["layers"]] == [16, 10]


def source_dir():
    from digitpad.store import find_model

    return find_model(None)
