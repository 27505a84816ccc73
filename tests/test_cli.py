import json
import subprocess
import sys

import pytest

from digitpad.cli import main


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_default_model_json(capsys):
    code, out, err = run_cli(capsys, "eval", "--json")
    result = json.loads(out)
    assert code == 0 and result["model"] == "default"
    assert result["test_accuracy"] >= 0.97
    assert len(result["confusion"]) == 10 and sum(map(sum, result["confusion"])) == 10_000


def test_eval_text(capsys):
    code, out, _ = run_cli(capsys, "eval")
    assert code == 0 and "test accuracy" in out and "confusion matrix" in out


def test_models_lists_the_bundled_default(capsys):
    code, out, _ = run_cli(capsys, "models", "--json")
    names = [m["name"] for m in json.loads(out)["models"]]
    assert code == 0 and "default" in names


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "--preset", "huge"], "unknown preset"),
        (["train", "--name", "bad name"], "not a valid model name"),
        (["eval", "no-such-model"], "no model named"),
        (["eval", "--data", "/nonexistent/mnist.npz"], "not found"),
        (["delete", "no-such-model"], "no model named"),
    ],
)
def test_user_mistakes_give_one_line_and_status_2(capsys, user_store, args, words):
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_train_saves_to_the_user_store_and_eval_reads_it(capsys, user_store):
    code, out, _ = run_cli(
        capsys, "train", "--epochs", "1", "--hidden", "32", "--name", "quick", "--json"
    )
    result = json.loads(out)
    assert code == 0 and result["status"] == "completed"
    assert result["test_accuracy"] > 0.9 and (user_store / "quick" / "model.keras").is_file()
    code, out, _ = run_cli(capsys, "eval", "quick", "--json")
    assert code == 0 and json.loads(out)["test_accuracy"] == result["test_accuracy"]
    code, out, err = run_cli(capsys, "train", "--epochs", "1", "--name", "quick")
    assert code == 2 and "already exists" in err
    code, out, _ = run_cli(capsys, "delete", "quick")
    assert code == 0 and not (user_store / "quick").exists()


def test_diverging_training_exits_2_with_the_message(capsys, user_store):
    code, out, err = run_cli(
        capsys,
        "train",
        "--optimizer",
        "sgd",
        "--learning-rate",
        "90",
        "--init",
        "he",
        "--epochs",
        "1",
        "--no-save",
        "--json",
    )
    assert code == 2 and "diverged" in err and json.loads(out)["status"] == "diverged"


def test_python_dash_m_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "digitpad", "models"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "default" in done.stdout


def test_the_window_without_a_display_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, out, err = run_cli(capsys)
    assert code == 2 and "no display" in err and len(err.strip().splitlines()) == 1
