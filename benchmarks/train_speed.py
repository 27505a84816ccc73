"""How fast does digitpad train the tutorial MLP, against what a user would otherwise write?

The `tutorial` preset (784-200-10 ReLU, truncated-normal 0.01 init, Adam 1e-3, batch 100) is
trained for the same number of epochs by four contenders (five with --tuned), each in its own
fresh Python process, one after another (and, with --repeats, again in alternating order;
medians are reported):

  digitpad   digitpad.training.train(), the engine behind train_to_end (XLA chunks of steps)
  fit        the same Keras model (digitpad.model.build_model) with plain `Model.fit`
  tutorial   the original TF1 tutorial's loop: tf.compat.v1 graph, placeholders, feed_dict
  cli        `digitpad train --preset tutorial --store TMP --name bench` end to end
  warm       digitpad.training.train() after one untimed 1-epoch run in the same process: what
             a Start in the app costs once its training process has warmed up for the shape
             (the engine and its compiled functions are reused, nothing is compiled)
  tuned      (with --tuned) digitpad's trainer, unchanged, with two knobs set from outside:
             one TensorFlow thread (tf.config.threading) and XLA's persistent compilation
             cache (TF_XLA_FLAGS=--tf_xla_persistent_cache_directory), warmed by one untimed
             run first, as for any run after a user's first

Per contender: training time and samples/s (model setup + training loop: no imports, no data
loading, no test evaluation), steady samples/s (median epoch after the first, which pays for
compilation), wall time from process start to exit (imports included, measured by this parent),
peak RSS of the child (os.wait4), and accuracy on the 10,000 test images.

The compute floor is the time this machine needs for nothing but the matrix products of
training: per step of 100 images, forward x@W1, h@W2 and backward h^T@d2, d2@W2^T, x^T@dh.
That is 2*(784*200 + 200*10) FLOPs forward and 2*(784*200 + 200*10) + 2*200*10 backward per
image (no gradient for the input pixels), i.e. about 2x forward; the conventional 6*params
rule (backward = 2x forward) is printed alongside. The floor's time per step is measured in a
child process before each repeat: best of several runs of NumPy `@` and of an XLA-compiled loop
of the same dependent products; the fastest time of any repeat counts (a floor is a best case).

With --dropout, a different question: what does dropout cost? The digitpad contender alone
trains the tutorial preset with dropout 0, 0.2, 0.5 and 0.8 in turn (fresh processes, the order
reversed on odd repeats), and the times are printed as ratios to the run without dropout
(target: at most 1.3x for every rate, training time and steady epochs).

Run:  .venv/bin/python benchmarks/train_speed.py                 # 10 epochs, once (~1-2 min)
      .venv/bin/python benchmarks/train_speed.py --epochs 2      # quick look
      .venv/bin/python benchmarks/train_speed.py --repeats 3     # medians, alternating order
      .venv/bin/python benchmarks/train_speed.py --tuned         # also the tuned contender
      .venv/bin/python benchmarks/train_speed.py --dropout --epochs 3 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRAIN_IMAGES = 55_000
BATCH = 100
WIDTHS = (784, 200, 10)
CONTENDERS = ("digitpad", "warm", "fit", "tutorial", "cli")
TUNED_THREADS = 1
RESULT_PREFIX = "RESULT "

# Targets: (label, check on the summary dict).
TARGETS = (
    ("digitpad >= 2.5x fit samples/s", lambda s: s["digitpad/fit"] >= 2.5),
    ("digitpad >= 1.3x tutorial-loop samples/s", lambda s: s["digitpad/tutorial"] >= 1.3),
    (
        "warm digitpad (the app's warm process) >= 1.6x tutorial-loop samples/s",
        lambda s: s["warm/tutorial"] >= 1.6,
    ),
    ("digitpad training within 3x of the compute floor", lambda s: s["floor_multiple"] <= 3.0),
    ("digitpad accuracy within 0.3 points of fit", lambda s: abs(s["accuracy_gap"]) <= 0.3),
    ("CLI wall time < 12 s", lambda s: s["cli_wall"] < 12.0),
)


# ---------------------------------------------------------------- children (one per process)


def _report(result: dict) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _steady_rate(epoch_seconds: list[float]) -> float:
    """Median samples/s over the epochs after the first (the first includes compilation)."""
    later = epoch_seconds[1:] or epoch_seconds
    return TRAIN_IMAGES / statistics.median(later)


def child_digitpad(epochs: int) -> None:
    import keras  # noqa: F401 (imported before the clock starts, as in the other children)
    import tensorflow as tf

    if os.environ.get("BENCH_TUNED_THREADS"):
        threads = int(os.environ["BENCH_TUNED_THREADS"])
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    from digitpad.config import preset
    from digitpad.data import load_mnist
    from digitpad.training import EpochEnd, Finished, train

    data = load_mnist()
    dropout = float(os.environ.get("BENCH_DROPOUT", "0"))
    config = preset("tutorial").replace(epochs=epochs, dropout=dropout)
    if os.environ.get("BENCH_WARM"):
        for _ in train(config.replace(epochs=1), data):  # as the training process warms up
            pass
    epoch_seconds: list[float] = []
    start = time.perf_counter()
    # The same loop as train_to_end(config, data), noting when the last epoch ends.
    for event in train(config, data):
        if isinstance(event, EpochEnd):
            epoch_seconds.append(event.seconds)
            trained = time.perf_counter() - start
        elif isinstance(event, Finished):
            finished = event
    _report(
        {
            "train_seconds": trained,
            "epoch_seconds": epoch_seconds,
            "accuracy": finished.evaluation.accuracy,
            "engine_seconds": finished.seconds,
        }
    )


def child_fit(epochs: int) -> None:
    import keras
    import numpy as np

    from digitpad.config import preset
    from digitpad.data import load_mnist
    from digitpad.model import build_model

    data = load_mnist()
    stamps: list[float] = []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            stamps.append(time.perf_counter())

    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = build_model(preset("tutorial"))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        data.train.x,
        data.train.y,
        batch_size=BATCH,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        callbacks=[EpochClock()],
    )
    trained = time.perf_counter() - start
    logits = np.asarray(model(data.test.x, training=False))
    _report(
        {
            "train_seconds": trained,
            "epoch_seconds": list(np.diff([start, *stamps])),
            "accuracy": float(np.mean(logits.argmax(1) == data.test.y)),
        }
    )


def child_tutorial(epochs: int) -> None:
    """The classic TF1 tutorial: a static graph, placeholders and one sess.run per batch."""
    import numpy as np
    import tensorflow as tf

    from digitpad.data import load_mnist

    v1 = tf.compat.v1
    v1.disable_eager_execution()
    data = load_mnist()
    train_x, test_x = data.train.x, data.test.x
    train_y = np.eye(10, dtype=np.float32)[data.train.y]
    test_y = np.eye(10, dtype=np.float32)[data.test.y]

    start = time.perf_counter()
    v1.set_random_seed(0)
    x = v1.placeholder(tf.float32, [None, 784])
    y = v1.placeholder(tf.float32, [None, 10])
    w1 = tf.Variable(v1.truncated_normal([784, 200], stddev=0.01))
    b1 = tf.Variable(tf.zeros([200]))
    w2 = tf.Variable(v1.truncated_normal([200, 10], stddev=0.01))
    b2 = tf.Variable(tf.zeros([10]))
    hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
    logits = tf.matmul(hidden, w2) + b2
    cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    optimizer = v1.train.AdamOptimizer(1e-3).minimize(cross_entropy)
    correct = tf.equal(tf.argmax(logits, 1), tf.argmax(y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

    rng = np.random.default_rng(0)
    steps = len(train_x) // BATCH
    stamps = []
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        for _ in range(epochs):
            order = rng.permutation(len(train_x))
            for i in range(steps):
                batch = order[i * BATCH : (i + 1) * BATCH]
                sess.run(optimizer, feed_dict={x: train_x[batch], y: train_y[batch]})
            stamps.append(time.perf_counter())
        trained = time.perf_counter() - start
        test_accuracy = sess.run(accuracy, feed_dict={x: test_x, y: test_y})
    _report(
        {
            "train_seconds": trained,
            "epoch_seconds": list(np.diff([start, *stamps])),
            "accuracy": float(test_accuracy),
        }
    )


def child_floor(trials: int) -> None:
    """Best time per training step of just the matmuls, in NumPy and in an XLA loop."""
    _report({"numpy_step": _numpy_step_seconds(trials), "xla_step": _xla_step_seconds(trials)})


def _floor_arrays():
    import numpy as np

    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = WIDTHS
    shapes = {
        "x": (BATCH, n_in),
        "w1": (n_in, n_hidden),
        "w2": (n_hidden, n_out),
        "h": (BATCH, n_hidden),
        "d2": (BATCH, n_out),
        "dh": (BATCH, n_hidden),
    }
    return {k: (rng.random(s, np.float32) * 0.01).astype(np.float32) for k, s in shapes.items()}


def _numpy_step_seconds(trials: int, loops: int = 300) -> float:
    a = _floor_arrays()
    x, w1, w2, h, d2, dh = (a[k] for k in ("x", "w1", "w2", "h", "d2", "dh"))
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(loops):
            x @ w1, h @ w2, h.T @ d2, d2 @ w2.T, x.T @ dh  # noqa: B018 (timed for effect)
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def _xla_step_seconds(trials: int, loops: int = 1000) -> float:
    import tensorflow as tf

    a = _floor_arrays()
    x, target = tf.constant(a["x"]), tf.constant(a["d2"])

    # Each product feeds the next step, so XLA can neither hoist nor drop any of them.
    @tf.function(jit_compile=True)
    def run(n, w1, w2):
        for _ in tf.range(n):
            h = tf.matmul(x, w1)
            d2 = tf.matmul(h, w2) - target
            dw2 = tf.matmul(h, d2, transpose_a=True)
            dh = tf.matmul(d2, w2, transpose_b=True)
            dw1 = tf.matmul(x, dh, transpose_a=True)
            w1, w2 = w1 - 1e-12 * dw1, w2 - 1e-12 * dw2
        return w1, w2

    w1, w2 = tf.constant(a["w1"]), tf.constant(a["w2"])
    run(tf.constant(10), w1, w2)[0].numpy()
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        run(tf.constant(loops), w1, w2)[0].numpy()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def child_dropout_chunks(rounds: int) -> None:
    """Interleaved, in one process: the same 110 steps of the tutorial preset with each dropout
    rate in turn, ``rounds`` times. Load from other processes hits every rate alike."""
    import numpy as np

    from digitpad.config import preset
    from digitpad.data import load_mnist
    from digitpad.training.engine import Engine

    data = load_mnist()
    engines = {}
    for rate in DROPOUT_RATES:
        config = preset("tutorial").replace(dropout=rate)
        engines[rate] = Engine(config)
        engines[rate].prepare(config, data)
    order = np.random.default_rng(0).permutation(TRAIN_IMAGES)[: 110 * BATCH]
    batches = order.reshape(110, BATCH).astype(np.int32)
    for engine in engines.values():  # compile
        engine.run_chunk(engine.x_train, batches, 0)
    seconds: dict[str, list[float]] = {str(rate): [] for rate in DROPOUT_RATES}
    for r in range(max(rounds, 3)):
        for rate, engine in engines.items():
            start = time.perf_counter()
            engine.run_chunk(engine.x_train, batches, (r + 1) * 110)
            seconds[str(rate)].append(time.perf_counter() - start)
    _report({"chunk_seconds": seconds})


CHILDREN = {
    "dropout-chunks": child_dropout_chunks,
    "digitpad": child_digitpad,
    "tuned": child_digitpad,
    "warm": child_digitpad,
    "fit": child_fit,
    "tutorial": child_tutorial,
    "floor": child_floor,
}


# ---------------------------------------------------------------- parent: run and compare


def _digitpad_command() -> list[str]:
    script = Path(sys.executable).with_name("digitpad")
    return [str(script)] if script.exists() else [sys.executable, "-m", "digitpad"]


def run_process(command: list[str], env: dict[str, str]) -> dict:
    """Run ``command``; its wall seconds, peak RSS (MB) and output (from files: no deadlock)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "stdout": stdout}


def _child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra or {})}


def tuned_env(cache_dir: str) -> dict[str, str]:
    """The tuned contender's knobs: one TF thread and a persistent XLA compilation cache."""
    flags = f"--tf_xla_persistent_cache_directory={cache_dir}"
    return {"BENCH_TUNED_THREADS": str(TUNED_THREADS), "TF_XLA_FLAGS": flags}


def run_child(
    name: str, epochs: int, floor_trials: int = 1, env: dict[str, str] | None = None
) -> dict:
    command = [sys.executable, __file__, "--child", name, "--epochs", str(epochs)]
    command += ["--floor-trials", str(floor_trials)]
    proc = run_process(command, _child_env(env))
    line = next(ln for ln in proc["stdout"].splitlines() if ln.startswith(RESULT_PREFIX))
    result = json.loads(line[len(RESULT_PREFIX) :])
    return {**result, "wall": proc["wall"], "rss_mb": proc["rss_mb"]}


def run_cli(epochs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="digitpad-train-speed-") as store:
        command = [
            *_digitpad_command(),
            *("train", "--preset", "tutorial", "--store", store, "--name", "bench"),
            *("--epochs", str(epochs)),
        ]
        proc = run_process(command, _child_env())
    text = proc["stdout"]
    seconds = re.search(r"in ([\d.]+)s", text)
    accuracy = re.search(r"test accuracy ([\d.]+)%", text)
    return {
        "train_seconds": float(seconds.group(1)) if seconds else float("nan"),
        "epoch_seconds": [],
        "accuracy": float(accuracy.group(1)) / 100 if accuracy else float("nan"),
        "wall": proc["wall"],
        "rss_mb": proc["rss_mb"],
    }


def run_contender(name: str, epochs: int, tuned: dict[str, str]) -> dict:
    if name == "cli":
        result = run_cli(epochs)
    else:
        env = tuned if name == "tuned" else {"BENCH_WARM": "1"} if name == "warm" else None
        result = run_child(name, epochs, env=env)
    result["samples_per_s"] = TRAIN_IMAGES * epochs / result["train_seconds"]
    steady = result["epoch_seconds"]
    result["steady_per_s"] = _steady_rate(steady) if steady else float("nan")
    return result


def run_all(
    epochs: int, repeats: int, floor_trials: int, tuned: dict[str, str] | None
) -> tuple[dict[str, list[dict]], list[dict]]:
    """Every contender once per repeat, odd repeats in reverse order; the floor before each."""
    contenders = (*CONTENDERS, "tuned") if tuned else CONTENDERS
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    floors = []
    if tuned:
        print("  warming the tuned contender's XLA cache ...", file=sys.stderr, flush=True)
        run_child("tuned", 1, env=tuned)
    for r in range(repeats):
        print(f"  repeat {r + 1}/{repeats}: compute floor ...", file=sys.stderr, flush=True)
        floors.append(run_child("floor", epochs, floor_trials))
        order = contenders if r % 2 == 0 else tuple(reversed(contenders))
        for name in order:
            print(f"  repeat {r + 1}/{repeats}: {name} ...", file=sys.stderr, flush=True)
            runs[name].append(run_contender(name, epochs, tuned or {}))
    return runs, floors


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


# ---------------------------------------------------------------- floor and report


def flops_per_image() -> dict[str, int]:
    pairs = list(zip(WIDTHS, WIDTHS[1:], strict=False))
    forward = 2 * sum(a * b for a, b in pairs)
    # Backward: a weight gradient per layer (same size as forward) plus the hidden gradients;
    # no gradient is needed for the input pixels.
    backward = forward + 2 * sum(a * b for a, b in pairs[1:])
    return {"forward": forward, "needed": forward + backward, "rule_6n": 3 * forward}


def floor_of(epochs: int, measured: list[dict]) -> dict:
    """The compute floor from the per-repeat measurements: the best time per step counts."""
    step = {key: min(m[key] for m in measured) for key in ("numpy_step", "xla_step")}
    best_step = min(step["numpy_step"], step["xla_step"])
    flops = flops_per_image()
    n_steps = TRAIN_IMAGES // BATCH * epochs
    rate = flops["needed"] * BATCH / best_step
    return {
        **step,
        "rate_gflops": rate / 1e9,
        "seconds": n_steps * best_step,
        "seconds_rule_6n": flops["rule_6n"] * TRAIN_IMAGES * epochs / rate,
        "flops": flops,
    }


def print_table(runs: dict[str, list[dict]], epochs: int) -> None:
    header = (
        f"{'contender':<10} {'train s':>8} {'samples/s':>10} {'steady/s':>10} "
        f"{'wall s':>7} {'peak MB':>8} {'test acc':>9}"
    )
    print(f"\nTraining the tutorial MLP for {epochs} epochs ({TRAIN_IMAGES:,} images each)")
    print(header)
    print("-" * len(header))
    for name, results in runs.items():
        print(
            f"{name:<10} {median_of(results, 'train_seconds'):>8.2f} "
            f"{median_of(results, 'samples_per_s'):>10,.0f} "
            f"{median_of(results, 'steady_per_s'):>10,.0f} "
            f"{median_of(results, 'wall'):>7.2f} {median_of(results, 'rss_mb'):>8.0f} "
            f"{median_of(results, 'accuracy'):>9.2%}"
        )
    spread = "; ".join(
        f"{name} " + " ".join(f"{r['train_seconds']:.2f}" for r in results)
        for name, results in runs.items()
    )
    print(f"train s of each run: {spread}")
    print(
        "train s: model setup + training loop (no imports, data loading or test evaluation);\n"
        "  for cli, the engine's own figure (includes test evaluation). steady/s: median epoch\n"
        "  after the first. wall s: process start to exit. Medians over repeats."
    )


def summarize(runs: dict[str, list[dict]], floor: dict, epochs: int) -> dict:
    rate = {name: median_of(results, "samples_per_s") for name, results in runs.items()}
    steady = {name: median_of(results, "steady_per_s") for name, results in runs.items()}
    digitpad_seconds = median_of(runs["digitpad"], "train_seconds")
    accuracy = {name: median_of(results, "accuracy") for name, results in runs.items()}
    floor_rate = TRAIN_IMAGES * epochs / floor["seconds"]
    return {
        "digitpad/fit": rate["digitpad"] / rate["fit"],
        "digitpad/tutorial": rate["digitpad"] / rate["tutorial"],
        "warm/tutorial": rate["warm"] / rate["tutorial"],
        "steady warm/tutorial": steady["warm"] / steady["tutorial"],
        "steady digitpad/fit": steady["digitpad"] / steady["fit"],
        "steady digitpad/tutorial": steady["digitpad"] / steady["tutorial"],
        "floor_multiple": digitpad_seconds / floor["seconds"],
        "floor_multiple_rule_6n": digitpad_seconds / floor["seconds_rule_6n"],
        "steady_floor_multiple": floor_rate / steady["digitpad"],
        "accuracy_gap": 100 * (accuracy["digitpad"] - accuracy["fit"]),
        "cli_wall": median_of(runs["cli"], "wall"),
        **_tuned_ratios(rate, steady),
    }


def _tuned_ratios(rate: dict[str, float], steady: dict[str, float]) -> dict[str, float]:
    if "tuned" not in rate:
        return {}
    ratios = {f"tuned/{other}": rate["tuned"] / rate[other] for other in ("fit", "tutorial")}
    ratios.update(
        {f"steady tuned/{other}": steady["tuned"] / steady[other] for other in ("fit", "tutorial")}
    )
    ratios["tuned/digitpad"] = rate["tuned"] / rate["digitpad"]
    return ratios


def print_floor(floor: dict, summary: dict, epochs: int) -> None:
    flops = floor["flops"]
    print(
        f"\nCompute floor: {flops['forward']:,} FLOPs/image forward, {flops['needed']:,} forward+"
        f"backward (6N rule: {flops['rule_6n']:,})\n"
        f"  matmuls of one 100-image step: NumPy {floor['numpy_step'] * 1e6:.0f} us, "
        f"XLA loop {floor['xla_step'] * 1e6:.0f} us -> {floor['rate_gflops']:.0f} GFLOP/s\n"
        f"  floor for {epochs} epochs: {floor['seconds']:.2f} s "
        f"(6N rule: {floor['seconds_rule_6n']:.2f} s)\n"
        f"  digitpad training = {summary['floor_multiple']:.2f}x floor "
        f"(6N rule: {summary['floor_multiple_rule_6n']:.2f}x; "
        f"steady epochs: {summary['steady_floor_multiple']:.2f}x)"
    )


def print_ratios_and_targets(summary: dict) -> None:
    print("\nRatios of samples/s (whole training; steady epochs in brackets)")
    for name in ("digitpad", "warm", "tuned"):
        for other in ("fit", "tutorial"):
            if f"{name}/{other}" in summary:
                print(
                    f"  {name + '/' + other:<18} {summary[f'{name}/{other}']:5.2f}x  "
                    f"({summary[f'steady {name}/{other}']:.2f}x)"
                )
    if "tuned/digitpad" in summary:
        print(f"  {'tuned/digitpad':<18} {summary['tuned/digitpad']:5.2f}x")
    print(f"  accuracy digitpad - fit: {summary['accuracy_gap']:+.2f} points")
    print("\nTargets")
    for label, check in TARGETS:
        print(f"  {'PASS' if check(summary) else 'FAIL'}  {label}")


DROPOUT_RATES = (0.0, 0.2, 0.5, 0.8)
DROPOUT_TARGET = 1.3


def run_dropout(epochs: int, repeats: int) -> None:
    """The digitpad contender with each dropout rate, side by side; ratios to no dropout."""
    runs: dict[float, list[dict]] = {rate: [] for rate in DROPOUT_RATES}
    for r in range(repeats):
        order = DROPOUT_RATES if r % 2 == 0 else tuple(reversed(DROPOUT_RATES))
        for rate in order:
            print(f"  repeat {r + 1}/{repeats}: dropout {rate} ...", file=sys.stderr, flush=True)
            runs[rate].append(run_contender_with(rate, epochs))
    base_train = median_of(runs[0.0], "train_seconds")
    base_steady = median_of(runs[0.0], "steady_seconds")
    print(f"\nDropout cost, tutorial preset, {epochs} epochs, medians of {repeats}:")
    header = f"{'dropout':>8} {'train s':>8} {'steady epoch s':>15} {'x train':>8} {'x steady':>9}"
    print(header + " acc")
    worst = 0.0
    for rate in DROPOUT_RATES:
        train_s = median_of(runs[rate], "train_seconds")
        steady_s = median_of(runs[rate], "steady_seconds")
        accuracy = median_of(runs[rate], "accuracy")
        ratios = (train_s / base_train, steady_s / base_steady)
        worst = max(worst, *ratios) if rate else worst
        print(
            f"{rate:>8.1f} {train_s:>8.2f} {steady_s:>15.3f} {ratios[0]:>7.2f}x {ratios[1]:>8.2f}x "
            f"{accuracy:.2%}"
        )
    verdict = "PASS" if worst <= DROPOUT_TARGET else "FAIL"
    print(f"[{verdict}] every dropout rate within {DROPOUT_TARGET}x of none (worst {worst:.2f}x)")

    # Whole runs in separate processes drift with the machine's load; the same chunk of steps
    # timed in turns within one process does not.
    chunks = run_child("dropout-chunks", epochs, floor_trials=15)["chunk_seconds"]
    base_min, base_median = min(chunks["0.0"]), statistics.median(chunks["0.0"])
    print("\nThe same 110 steps (batch 100) in turns in one process, 15 rounds:")
    print(f"{'dropout':>8} {'min s':>8} {'median s':>9} {'x min':>7} {'x median':>9}")
    worst = 0.0
    for rate in DROPOUT_RATES:
        times = chunks[str(rate)]
        ratios = (min(times) / base_min, statistics.median(times) / base_median)
        worst = max(worst, ratios[0]) if rate else worst
        print(
            f"{rate:>8.1f} {min(times):>8.3f} {statistics.median(times):>9.3f} "
            f"{ratios[0]:>6.2f}x {ratios[1]:>8.2f}x"
        )
    verdict = "PASS" if worst <= DROPOUT_TARGET else "FAIL"
    print(f"[{verdict}] best chunk of every rate within {DROPOUT_TARGET}x (worst {worst:.2f}x)")


def run_contender_with(dropout: float, epochs: int) -> dict:
    result = run_child("digitpad", epochs, env={"BENCH_DROPOUT": str(dropout)})
    later = result["epoch_seconds"][1:] or result["epoch_seconds"]
    result["steady_seconds"] = statistics.median(later)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per contender (default 1)")
    parser.add_argument("--floor-trials", type=int, default=7, help="best of N for the floor")
    parser.add_argument("--tuned", action="store_true", help="add the tuned digitpad contender")
    parser.add_argument("--dropout", action="store_true", help="what dropout costs (ratios)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        uses_trials = args.child in ("floor", "dropout-chunks")
        CHILDREN[args.child](args.floor_trials if uses_trials else args.epochs)
        return
    if args.dropout:
        load_before = os.getloadavg()[0]
        run_dropout(args.epochs, args.repeats)
        print(f"1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="digitpad-xla-cache-") as cache:
        tuned = tuned_env(cache) if args.tuned else None
        runs, floors = run_all(args.epochs, args.repeats, args.floor_trials, tuned)
    floor = floor_of(args.epochs, floors)
    summary = summarize(runs, floor, args.epochs)
    print(
        f"\nMachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; 1-minute load "
        f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print_table(runs, args.epochs)
    print_floor(floor, summary, args.epochs)
    print_ratios_and_targets(summary)


if __name__ == "__main__":
    main()
