"""The command line: ``digitpad`` opens the window; ``train``, ``eval``, ``models``, ``delete``
and ``predict`` work headless. The only module that prints for the CLI.

User mistakes (bad values, unknown models, unreadable files) print one line on stderr and exit
with status 2; ``--json`` prints one machine-readable JSON object instead of text.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from digitpad import __version__
from digitpad.config import FIELD_HELP, PRESETS, TrainConfig, parse_hidden, preset
from digitpad.errors import DigitpadError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


_FIELD_TYPES: dict[str, Any] = {
    "hidden": str,
    "activation": str,
    "dropout": float,
    "l2": float,
    "init": str,
    "loss": str,
    "optimizer": str,
    "learning_rate": float,
    "momentum": float,
    "lr_decay": float,
    "batch_size": int,
    "epochs": int,
    "seed": int,
    "augment": _bool,
    "validate_every": int,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="digitpad", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    app = sub.add_parser("app", help="open the window (the default)")
    app.add_argument("--store", help="the user's model store folder")

    train = sub.add_parser("train", help="train a model and save it to the store")
    train.add_argument("--preset", default="tutorial", help=f"one of {', '.join(PRESETS)}")
    for name, kind in _FIELD_TYPES.items():
        flag = "--" + name.replace("_", "-")
        train.add_argument(flag, dest=name, type=kind, default=None, help=FIELD_HELP[name])
    train.add_argument("--name", help="save under this name (default: PRESET-DATE-TIME)")
    train.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    train.add_argument("--no-save", action="store_true", help="train and evaluate only")
    _add_common(train)

    evaluate = sub.add_parser("eval", help="test accuracy, per-class accuracy, confusion matrix")
    evaluate.add_argument("model", nargs="?", help="model name or folder (default: the default)")
    _add_common(evaluate)

    models = sub.add_parser("models", help="list the stored models")
    models.add_argument("--store", help="the user's model store folder")
    models.add_argument("--json", action="store_true", help="print JSON")

    delete = sub.add_parser("delete", help="delete a model from the user's store")
    delete.add_argument("model")
    delete.add_argument("--store", help="the user's model store folder")
    delete.add_argument("--json", action="store_true", help="print JSON")

    predict = sub.add_parser(
        "predict", help="read digits and numbers (several digits, left to right) from images"
    )
    predict.add_argument("images", nargs="+", help="PNG, JPEG or BMP files")
    predict.add_argument("--model", help="model name or folder (default: the default)")
    predict.add_argument("--store", help="the user's model store folder")
    predict.add_argument("--json", action="store_true", help="one JSON object per image")
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="the user's model store folder")
    parser.add_argument("--data", help="MNIST .npz file or folder of IDX files (default: bundled)")
    parser.add_argument("--no-verify", action="store_true", help="accept data that is not MNIST")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(argv: Sequence[str] | None = None) -> int:
    # TensorFlow's C++ info logs (XLA compiling, devices) are noise to a user; warnings and
    # errors still show. Must be set before TensorFlow is first imported. (Two oneDNN lines
    # are logged before TensorFlow reads it and still appear.)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    command = args.command or "app"
    try:
        return _COMMANDS[command](args)
    except DigitpadError as exc:
        print(f"digitpad {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset with every flag the user gave applied, validated."""
    config = preset(args.preset)
    changes = {
        name: getattr(args, name) for name in _FIELD_TYPES if getattr(args, name) is not None
    }
    if "hidden" in changes:
        changes["hidden"] = parse_hidden(changes["hidden"])
    return config.replace(**changes).validate()


def _cmd_app(args: argparse.Namespace) -> int:
    # One BLAS thread: the canvas multiplies one image at a time, and waking OpenBLAS's threads
    # for that costs up to tens of milliseconds per stroke when training keeps the cores busy.
    # Must be set before NumPy is first imported, which the GUI import below does.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if _no_display():
        raise DigitpadError(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "the train, eval, models and predict commands work without one"
        )
    from digitpad.gui.app import run_app

    return run_app(store=getattr(args, "store", None))


def _no_display() -> bool:
    """On Linux, no X or Wayland display and no Qt platform chosen: Qt would abort."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cmd_train(args: argparse.Namespace) -> int:
    from digitpad.data import load_mnist
    from digitpad.paths import user_store_dir
    from digitpad.store import ModelStore, check_name
    from digitpad.training import TrainControl, train

    config = config_from_args(args)
    name = check_name(args.name or f"{args.preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    store = ModelStore(user_store_dir(args.store))
    if not args.no_save and name in store and not args.overwrite:
        raise DigitpadError(f"a model named {name!r} already exists (use --overwrite)")
    data = load_mnist(args.data, verify=not args.no_verify)
    control = TrainControl()
    started = time.perf_counter()
    with _cancel_on_interrupt(control):
        finished = _run_with_progress(train(config, data, control), quiet=args.json)
    if finished.status == "cancelled":
        _report(args, {"status": "cancelled", "message": finished.message}, "stopped: not saved")
        return EXIT_INTERRUPTED
    path = None
    if not args.no_save and finished.model is not None:
        path = store.save(
            name, finished.model, finished.meta(data.sha256), overwrite=args.overwrite
        )
    result = {
        "status": finished.status,
        "message": finished.message,
        "name": name if path else None,
        "path": str(path) if path else None,
        "config": config.to_dict(),
        "train_seconds": round(finished.seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        **(finished.evaluation.summary() if finished.evaluation else {}),
    }
    text = _train_text(result)
    _report(args, result, text)
    if finished.status == "diverged":
        print(f"digitpad train: error: {finished.message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from digitpad.data import load_mnist
    from digitpad.evaluation import evaluate_probabilities
    from digitpad.inference import load_predictor

    predictor = load_predictor(args.model, args.store)
    data = load_mnist(args.data, verify=not args.no_verify)
    evaluation = evaluate_probabilities(predictor.predict_proba(data.test.x), data.test.y)
    result = {"model": predictor.name, **evaluation.summary()}
    _report(args, result, _eval_text(result))
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from digitpad.store import list_models

    infos = list_models(args.store)
    rows = [
        {
            "name": info.name,
            "path": str(info.path),
            "bundled": info.bundled,
            "test_accuracy": info.test_accuracy,
            "created": info.created,
            "problem": info.problem,
        }
        for info in infos
    ]
    lines = [f"{'name':24} {'test acc':>8}  {'created':25} where"]
    for row in rows:
        acc = f"{row['test_accuracy']:.2%}" if row["test_accuracy"] is not None else "-"
        where = "bundled" if row["bundled"] else row["path"]
        problem = f"  BROKEN: {row['problem']}" if row["problem"] else ""
        lines.append(f"{row['name']:24} {acc:>8}  {row['created'] or '-':25} {where}{problem}")
    _report(args, {"models": rows}, "\n".join(lines))
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from digitpad.paths import user_store_dir
    from digitpad.store import ModelStore

    ModelStore(user_store_dir(args.store)).delete(args.model)
    _report(args, {"deleted": args.model}, f"deleted {args.model}")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from digitpad.image_files import read_grayscale
    from digitpad.inference import load_predictor
    from digitpad.reading import number_text, read_digits
    from digitpad.segment import segment

    predictor = load_predictor(args.model, args.store)
    status = 0
    for path in args.images:
        # One bad file must not cost the user the answers for the others.
        problem, readings = "", []
        try:
            found = segment(read_grayscale(path))
        except (DigitpadError, ValueError) as exc:
            problem = str(exc)
        else:
            readings = read_digits(found.digits, predictor)
            if not readings:
                reason = found.problem or "the image is blank (one colour throughout)"
                problem = f"no digit: {reason[0].lower()}{reason[1:]}"
        if problem:
            print(f"digitpad predict: error: {path}: {problem}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        number = number_text(readings)
        if args.json:
            digits = [
                {
                    "digit": reading.digit,
                    "probabilities": [round(float(p), 6) for p in reading.probabilities],
                    "box": list(reading.box),
                }
                for reading in readings
            ]
            result: dict[str, Any] = {"file": path}
            if len(readings) == 1:
                # What scripts written for single digits read, unchanged.
                result |= {"digit": digits[0]["digit"], "probabilities": digits[0]["probabilities"]}
            print(json.dumps(result | {"number": number, "digits": digits}))
        elif len(readings) == 1:
            probabilities = readings[0].probabilities
            top = probabilities.argsort()[::-1][:3]
            best = ", ".join(f"{d} {probabilities[d]:.1%}" for d in top)
            print(f"{path}: {top[0]}  ({best})")
        else:
            each = ", ".join(f"{r.digit} {r.confidence:.1%}" for r in readings)
            print(f"{path}: {number}  ({each})")
    return status


_COMMANDS = {
    "app": _cmd_app,
    "train": _cmd_train,
    "eval": _cmd_eval,
    "models": _cmd_models,
    "delete": _cmd_delete,
    "predict": _cmd_predict,
}


def _report(args: argparse.Namespace, result: dict[str, Any], text: str) -> None:
    print(json.dumps(result) if args.json else text)


class _cancel_on_interrupt:
    """First Ctrl+C cancels training cleanly; a second one interrupts at once."""

    def __init__(self, control: Any) -> None:
        self._control = control
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self._control.cancelled:
            raise KeyboardInterrupt
        print("\nstopping after this chunk (Ctrl+C again to abort)", file=sys.stderr)
        self._control.cancel()

    def __enter__(self) -> None:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _run_with_progress(events: Any, *, quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from digitpad import training

    console = Console(stderr=True, quiet=quiet)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[stats]}"),
        TimeRemainingColumn(),
    )
    finished = None
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("loading TensorFlow", total=None, stats="")
        for event in events:
            if isinstance(event, training.Started):
                bar.update(task, total=event.total_steps, description=event.config.describe()[:40])
            elif isinstance(event, training.Progress):
                stats = (
                    f"epoch {event.epoch:5.2f}  loss {event.loss_avg:.4f}  "
                    f"acc {event.accuracy_avg:.2%}  {event.samples_per_second:,.0f}/s"
                )
                bar.update(task, completed=event.step, stats=stats, description="training")
            elif isinstance(event, training.EpochEnd):
                bar.console.print(
                    f"epoch {event.epoch:3d}: loss {event.loss:.4f} acc {event.accuracy:.2%} "
                    f"val loss {event.val_loss:.4f} val acc {event.val_accuracy:.2%} "
                    f"{event.seconds:.1f}s"
                )
            elif isinstance(event, training.Finished):
                finished = event
    return finished


def _train_text(result: dict[str, Any]) -> str:
    lines = [f"{result['status']}: {result['message']} in {result['train_seconds']:.1f}s"]
    if "test_accuracy" in result:
        lines.append(
            f"test accuracy {result['test_accuracy']:.2%}  (loss {result['test_loss']:.4f})"
        )
    if result["path"]:
        lines.append(f"saved as {result['name']} in {result['path']}")
    return "\n".join(lines)


def _eval_text(result: dict[str, Any]) -> str:
    lines = [
        f"model {result['model']}: test accuracy {result['test_accuracy']:.2%} "
        f"(loss {result['test_loss']:.4f}, {result['mistakes']} mistakes of 10,000)",
        "per class: "
        + "  ".join(f"{d}: {a:.1%}" for d, a in enumerate(result["per_class_accuracy"])),
        "confusion matrix (rows: true digit, columns: predicted)",
        "      " + "".join(f"{d:>6}" for d in range(10)),
    ]
    for d, row in enumerate(result["confusion"]):
        lines.append(f"{d:>6}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)
