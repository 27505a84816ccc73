"""The command line: ``digitpad`` opens the window; ``train``, ``eval``, ``models``, ``delete``
and ``predict`` work headless. The only module that prints for the CLI.

User mistakes (bad values, unknown models, unreadable files) print one line on stderr and exit
with status 2; ``--json`` prints one machine-readable JSON object instead of text. A trained
model that could not be saved where asked is saved in a fallback place that is named on stderr,
with exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from digitpad import __version__
from digitpad.config import PRESETS, SETTINGS, TrainConfig, preset
from digitpad.errors import ConfigError, DigitpadError
from digitpad.setting import Setting

EXIT_USAGE = 2
EXIT_RESCUED = 1
EXIT_INTERRUPTED = 130

DESCRIPTION = (
    "Draw digits and train a neural network on MNIST. With no command, digitpad opens the "
    "window; the other commands work without a display."
)
EPILOG = (
    "Every command takes --store DIR (or $DIGITPAD_STORE) for the folder of your models; it "
    "may also come before the command: digitpad --store DIR models. The window remembers its "
    "settings in the usual place for your system, or in the ini file named by "
    "$DIGITPAD_SETTINGS. 'digitpad COMMAND --help' describes one command."
)
STORE_HELP = "the folder of your models (default: $DIGITPAD_STORE, else your data folder)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # An abbreviation must never pick an option the user did not name: with abbreviations
        # on, `--lr 1e-4` was taken as `--lr-decay 1e-4`.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # Python 3.11's argparse takes `-1e-4` for an option ("expected one argument"): read a
        # negative number in scientific notation as a value, so its range is what is refused.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        # Refuse unknown flags here rather than in the top parser, so that the message names
        # the subcommand and the flags an abbreviation would once have picked.
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._suggest(extras)}")
        return namespace, extras

    def _suggest(self, extras: list[str]) -> str:
        options = [option for action in self._actions for option in action.option_strings]
        switches = [
            " or ".join(action.option_strings)
            for action in self._actions
            if isinstance(action, argparse.BooleanOptionalAction)
        ]
        for extra in extras:
            typed = extra.split("=", 1)[0]
            if switches and typed.lower() in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                return f" (on/off settings are switches: {', '.join(switches)})"
            if not typed.startswith("--"):
                continue
            matches = [option for option in options if option.startswith(typed)]
            matches = matches or difflib.get_close_matches(typed, options, n=3)
            if matches:
                return f" (did you mean {' or '.join(matches)}?)"
        return ""


def _add_setting(parser: argparse.ArgumentParser, spec: Setting) -> None:
    """One ``train`` flag for a :class:`TrainConfig` field, built from its declaration."""
    if spec.kind is bool:
        parser.add_argument(
            *spec.cli_flags,
            dest=spec.name,
            action=argparse.BooleanOptionalAction,
            default=None,
            help=spec.help_text,
        )
        return

    def parse(text: str) -> Any:
        try:
            return spec.parse(text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(exc.reason) from None

    parse.__name__ = spec.name  # argparse names the type in some messages
    metavar = "{" + ",".join(spec.choices) + "}" if spec.choices else _METAVARS.get(spec.kind)
    parser.add_argument(
        *spec.cli_flags,
        dest=spec.name,
        type=parse,
        default=None,
        metavar=metavar,
        help=spec.help_text,
    )


_METAVARS = {int: "N", float: "X", tuple: "WIDTHS", str: "TEXT"}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="digitpad", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"digitpad {__version__}")
    parser.add_argument("--store", default=None, help=STORE_HELP)
    entry = parser.add_mutually_exclusive_group()
    entry.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add digitpad to your desktop's application menu (Linux) and exit",
    )
    entry.add_argument(
        "--uninstall-desktop-entry",
        action="store_true",
        help="remove digitpad from your desktop's application menu and exit",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    app = sub.add_parser("app", help="open the window (the default)")
    _add_store(app)

    train = sub.add_parser("train", help="train a model and save it to the store")
    train.add_argument("--preset", default="tutorial", help=f"one of {', '.join(PRESETS)}")
    for spec in SETTINGS.values():
        _add_setting(train, spec)
    train.add_argument("--name", help="save under this name (default: PRESET-DATE-TIME)")
    train.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    train.add_argument("--no-save", action="store_true", help="train and evaluate only")
    train.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="also write TensorBoard logs to DIR/NAME (open with: tensorboard --logdir DIR)",
    )
    _add_common(train)

    evaluate = sub.add_parser("eval", help="test accuracy, per-class accuracy, confusion matrix")
    evaluate.add_argument("model", nargs="?", help="model name or folder (default: the default)")
    _add_common(evaluate)

    models = sub.add_parser("models", help="list the stored models")
    _add_store(models)
    models.add_argument("--json", action="store_true", help="print JSON")

    delete = sub.add_parser("delete", help="delete a model from the user's store")
    delete.add_argument("model")
    _add_store(delete)
    delete.add_argument("--json", action="store_true", help="print JSON")

    predict = sub.add_parser(
        "predict", help="read digits and numbers (several digits, left to right) from images"
    )
    predict.add_argument("images", nargs="+", help="PNG, JPEG or BMP files")
    predict.add_argument("--model", help="model name or folder (default: the default)")
    _add_store(predict)
    predict.add_argument("--json", action="store_true", help="one JSON object per image")

    from digitpad.export import FORMATS as export_formats

    export = sub.add_parser("export", help="export a model as a SavedModel, .tflite or .npz")
    export.add_argument("model", help="model name or folder")
    export.add_argument("--format", required=True, choices=export_formats, dest="export_format")
    export.add_argument("--to", help="the file or folder to write (default: next to you)")
    export.add_argument("--overwrite", action="store_true", help="replace what is there")
    _add_common(export)
    teach = sub.add_parser("teach", help="fine-tune a model on your drawings (a folder per digit)")
    teach.add_argument("folder", metavar="DIR", help="a subfolder per digit 0 … 9 of images")
    teach.add_argument("--base", help="model to start from (default: the default)")
    teach.add_argument("--name", help="save under this name (default: BASE-mine)")
    teach.add_argument("--holdout", type=float, default=0.2, help="share held out to test, [0, 1)")
    teach.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    _add_common(teach)
    return parser


def _add_store(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: unless given after the command, the value given before it (or None) stays.
    parser.add_argument("--store", default=argparse.SUPPRESS, help=STORE_HELP)


def _add_common(parser: argparse.ArgumentParser) -> None:
    _add_store(parser)
    parser.add_argument("--data", help="MNIST .npz file or folder of IDX files (default: bundled)")
    parser.add_argument("--no-verify", action="store_true", help="accept data that is not MNIST")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def main(argv: Sequence[str] | None = None) -> int:
    # TensorFlow's C++ info logs (XLA compiling, devices) are noise to a user; warnings and
    # errors still show. Must be set before TensorFlow is first imported. The oneDNN banner is
    # printed before any log level is read: only turning oneDNN off stops it (tf_setup.py).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    args = build_parser().parse_args(argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        return _desktop_entry(install=args.install_desktop_entry)
    command = args.command or "app"
    try:
        code = _COMMANDS[command](args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below, not at exit
        return code
    except DigitpadError as exc:
        print(f"digitpad {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (digitpad eval | head): not an error worth a traceback. Point
        # stdout at nothing so that Python's final flush does not complain either.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1


def _desktop_entry(*, install: bool) -> int:
    from digitpad import desktop_entry

    try:
        if install:
            paths = desktop_entry.install()
            print("installed the menu entry: " + ", ".join(str(p) for p in paths))
        else:
            paths = desktop_entry.uninstall()
            print(
                "removed " + ", ".join(str(p) for p in paths)
                if paths
                else "there was no digitpad menu entry to remove"
            )
    except DigitpadError as exc:
        print(f"digitpad: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset with every flag the user gave applied, validated."""
    config = preset(args.preset)
    changes = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
    return config.replace(**changes).validate()


def prepare_window_process() -> None:
    """Settings for the process that shows the window (the app, and benchmarks that measure
    it); call it before NumPy is first imported."""
    # One BLAS thread: the canvas multiplies one image at a time, and waking OpenBLAS's threads
    # for that costs up to tens of milliseconds per stroke when training keeps the cores busy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from digitpad.memory import return_big_blocks_to_the_system

    return_big_blocks_to_the_system()


def _cmd_app(args: argparse.Namespace) -> int:
    prepare_window_process()  # before the GUI import below imports NumPy
    if _no_display():
        raise DigitpadError(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "the train, eval, models and predict commands work without one"
        )
    from digitpad.gui.app import run_app

    return run_app(store=args.store)


def _no_display() -> bool:
    """On Linux, no X or Wayland display and no Qt platform chosen: Qt would abort."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cmd_train(args: argparse.Namespace) -> int:
    from digitpad.data import load_mnist
    from digitpad.paths import user_store_dir
    from digitpad.runs import untrained_reason
    from digitpad.store import ModelStore, check_name, check_save_name, run_meta
    from digitpad.training import Outcome, TrainControl, train

    config = config_from_args(args)
    name = check_name(args.name or f"{args.preset}-{time.strftime('%Y%m%d-%H%M%S')}")
    store = ModelStore(user_store_dir(args.store))
    if not args.no_save:
        # Everything that would stop the save is checked now, not after minutes of training.
        check_save_name(name)
        if name in store and not args.overwrite:
            raise DigitpadError(f"a model named {name!r} already exists (use --overwrite)")
        store.check_writable()
    logdir = None
    if args.tensorboard:
        from digitpad.tensorboard_log import run_logdir

        logdir = run_logdir(args.tensorboard, name)  # made now: a bad DIR fails before training
    data = load_mnist(args.data, verify=not args.no_verify)
    control = TrainControl()
    started = time.perf_counter()
    events = train(config, data, control)
    if logdir is not None:
        from digitpad.tensorboard_log import record

        events = record(events, logdir, control)
    with _cancel_on_interrupt(control):
        finished = _run_with_progress(events, quiet=args.json)
    if finished.status is Outcome.CANCELLED:
        _report(args, {"status": "cancelled", "message": finished.message}, "stopped: not saved")
        return EXIT_INTERRUPTED
    path = rescued = not_saved = None
    accuracy = finished.evaluation.accuracy if finished.evaluation else None
    if not args.no_save and finished.model is not None:
        not_saved = untrained_reason(finished.status, accuracy)
    if not args.no_save and finished.model is not None and not not_saved:
        meta = run_meta(finished, data.sha256)
        path, rescued = _save_or_rescue(store, name, finished.model, meta, args.overwrite)
        name = path.name
    result = {
        "status": str(finished.status),
        "message": finished.message,
        "name": name if path else None,
        "path": str(path) if path else None,
        "not_saved": not_saved,
        "rescued_from": rescued,
        "config": config.to_dict(),
        "tensorboard": str(logdir) if logdir else None,
        "train_seconds": round(finished.seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        **(finished.evaluation.metrics() if finished.evaluation else {}),
    }
    text = _train_text(result)
    _report(args, result, text)
    if finished.status is Outcome.DIVERGED:
        print(f"digitpad train: error: diverged: {finished.message}", file=sys.stderr)
        return EXIT_USAGE
    if rescued:
        print(
            f"digitpad train: error: could not save in {store.root} ({rescued}); "
            f"the model is saved instead as {name} in {path}",
            file=sys.stderr,
        )
        return EXIT_RESCUED
    return 0


def _save_or_rescue(
    store: Any, name: str, model: Any, meta: dict[str, Any], overwrite: bool
) -> tuple[Any, str | None]:
    """Save ``model``; if the store fails now (disk full, folder gone), save it in a fallback.

    Returns the model's folder and, when it went to a fallback, why the store failed. A model
    that took minutes to train is only lost if no place at all can hold it.
    """
    from digitpad.errors import StoreError
    from digitpad.paths import rescue_store_dirs
    from digitpad.store import ModelStore

    try:
        return store.save(name, model, meta, overwrite=overwrite), None
    except StoreError as exc:
        reason = str(exc)
    for root in rescue_store_dirs(store.root):
        fallback = ModelStore(root)
        free = name if name not in fallback else f"{name}-{time.strftime('%H%M%S')}"
        try:
            return fallback.save(free, model, meta), reason
        except StoreError:
            continue
    raise DigitpadError(f"could not save the model anywhere: {reason}")


def _cmd_eval(args: argparse.Namespace) -> int:
    from digitpad.data import load_mnist
    from digitpad.evaluation import evaluate_probabilities
    from digitpad.inference import load_predictor
    from digitpad.network_summary import summary_from_predictor
    from digitpad.paths import user_store_dir
    from digitpad.store import check_store_root

    check_store_root(user_store_dir(args.store))
    predictor = load_predictor(args.model, args.store)
    data = load_mnist(args.data, verify=not args.no_verify)
    evaluation = evaluate_probabilities(predictor.predict_proba(data.test.x), data.test.y)
    network = summary_from_predictor(predictor)
    result = {
        "model": predictor.name,
        **evaluation.metrics(),
        "parameters": network.parameters,
        "layers": network.layers_json(),
    }
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
            "shadowed": info.shadowed,
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
        if row["shadowed"]:
            # Saved by an older digitpad: the name now means the bundled model.
            problem += "  (yours: the name means the bundled model; use this path)"
        lines.append(f"{row['name']:24} {acc:>8}  {row['created'] or '-':25} {where}{problem}")
    _report(args, {"models": rows}, "\n".join(lines))
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    from digitpad.paths import user_store_dir
    from digitpad.store import ModelStore, bundled_names, check_store_root

    store = ModelStore(check_store_root(user_store_dir(args.store)))
    if args.model in bundled_names() and args.model not in store:
        raise DigitpadError(f"{args.model!r} comes with digitpad and cannot be deleted")
    store.delete(args.model)
    text = f"deleted {args.model} from {store.root}"
    if args.model in bundled_names():
        text += f" (the bundled {args.model} stays)"
    _report(args, {"deleted": args.model, "path": str(store.root / args.model)}, text)
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


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from digitpad.data import load_mnist
    from digitpad.export import check_target, default_target, export_model
    from digitpad.store import find_model

    folder = find_model(args.model, args.store)
    target = Path(args.to) if args.to else default_target(folder.name, args.export_format)
    check_target(target, overwrite=args.overwrite)  # before minutes of loading and converting
    data = load_mnist(args.data, verify=not args.no_verify)
    report = export_model(folder, args.export_format, target, data.test.x, overwrite=args.overwrite)
    result = {
        "model": folder.name,
        "format": report.format,
        "path": str(report.path),
        "images_checked": report.images_checked,
        "max_difference": report.max_difference,
        "tolerance": report.tolerance,
        "same_answers": report.same_answers,
    }
    _report(args, result, report.summary())
    return 0


def _cmd_teach(args: argparse.Namespace) -> int:
    from pathlib import Path

    from digitpad.data import load_mnist
    from digitpad.drawings import DIGITS, DrawingFolder
    from digitpad.paths import user_store_dir
    from digitpad.store import ModelStore
    from digitpad.teach import TeachControl, TeachSettings, teach

    folder = Path(args.folder).expanduser()
    if not folder.is_dir():
        raise DigitpadError(f"{folder}: no such folder")
    if not 0 <= args.holdout < 1:
        raise DigitpadError(f"--holdout must be in [0, 1), not {args.holdout}")
    drawings = DrawingFolder(folder).load()
    for problem in drawings.skipped:
        print(f"digitpad teach: skipped {problem}", file=sys.stderr)
    counts = drawings.counts()
    unusable = [d for d in DIGITS if (folder / d).is_dir() and not counts[int(d)]]
    for digit in unusable:
        print(f"digitpad teach: digit {digit}: no usable drawing, not taught", file=sys.stderr)
    if not len(drawings):
        raise DigitpadError(
            f"{folder}: no usable drawings (expected a subfolder per digit 0 … 9 of images)"
        )
    store = ModelStore(user_store_dir(args.store))
    data = load_mnist(args.data, verify=not args.no_verify)
    control = TeachControl()
    events = teach(
        drawings,
        data,
        base=args.base,
        user_store=args.store,
        store=store,
        name=args.name,
        overwrite=args.overwrite,
        settings=TeachSettings(holdout=args.holdout),
        control=control,
    )
    with _cancel_on_interrupt(control):
        started, finished = _run_teach_with_progress(events, quiet=args.json)
    if not finished.ok:
        _report(args, {"status": "cancelled", "message": finished.message}, "stopped: not saved")
        return EXIT_INTERRUPTED
    result = {
        "status": finished.status,
        "base": finished.base,
        "name": finished.path.name if finished.path else None,
        "path": str(finished.path) if finished.path else None,
        "test_accuracy": finished.after.test_accuracy,
        "test_accuracy_before": finished.before.test_accuracy,
        "personal_accuracy_before": finished.before.personal_accuracy,
        "personal_accuracy_after": finished.after.personal_accuracy,
        "note": started.note or None,
        "trained_per_digit": started.train_counts,
        "held_out_per_digit": started.held_out_counts,
        "changed": [vars(change) for change in finished.changes],
        "skipped": [{"path": str(p.path), "reason": p.reason} for p in drawings.skipped],
        "seconds": round(finished.seconds, 2),
    }
    _report(args, result, _teach_text(result))
    return 0


def _run_teach_with_progress(events: Any, *, quiet: bool) -> tuple[Any, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from digitpad import teach

    console = Console(stderr=True, quiet=quiet)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[stats]}"),
        TimeRemainingColumn(),
    )
    started = finished = None
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("scoring the base model", total=None, stats="")
        for event in events:
            if isinstance(event, teach.TeachStarted):
                started = event
                bar.update(task, total=event.total_steps, description="loading TensorFlow")
            elif isinstance(event, teach.TeachProgress):
                stats = f"loss {event.loss:.4f}  yours {event.personal_accuracy:.1%}"
                bar.update(task, completed=event.step, stats=stats, description="learning")
            elif isinstance(event, teach.TeachFinished):
                finished = event
    return started, finished


def _teach_text(result: dict[str, Any]) -> str:
    trained, held = sum(result["trained_per_digit"]), sum(result["held_out_per_digit"])
    lines = [f"learnt from {trained} drawings, {held} held out, in {result['seconds']:.1f}s"]
    if result["personal_accuracy_after"] is not None:
        lines.append(
            f"your handwriting ({held} held-out drawings): "
            f"{result['personal_accuracy_before']:.1%} → {result['personal_accuracy_after']:.1%}"
        )
    else:
        lines.append(f"your handwriting: {result['note']}")
    lines.append(
        f"MNIST test: {result['test_accuracy_before']:.2%} → {result['test_accuracy']:.2%}"
    )
    lines.append(f"{len(result['changed'])} of your drawings changed answer")
    if result["path"]:
        lines.append(f"saved as {result['name']} in {result['path']}")
    return "\n".join(lines)


_COMMANDS = {
    "app": _cmd_app,
    "train": _cmd_train,
    "eval": _cmd_eval,
    "models": _cmd_models,
    "delete": _cmd_delete,
    "predict": _cmd_predict,
    "export": _cmd_export,
    "teach": _cmd_teach,
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
    elif result["not_saved"]:
        lines.append(f"not saved: {result['not_saved']}")
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
    if "layers" in result:
        from digitpad.network_summary import summary_from_widths

        layers = result["layers"]
        network = summary_from_widths(
            [layer["units"] for layer in layers[:-1]], layers[0]["activation"]
        )
        lines += ["", network.one_line(), network.table()]
    return "\n".join(lines)
