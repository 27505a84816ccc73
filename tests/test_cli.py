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


def test_train_refuses_the_bundled_name_before_training(capsys, user_store, monkeypatch):
    from digitpad import training

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained anyway"))
    code, out, err = run_cli(capsys, "train", "--epochs", "1", "--name", "default")
    assert code == 2 and "comes with digitpad" in err and len(err.strip().splitlines()) == 1
    assert not (user_store / "default").exists()


@pytest.mark.parametrize("kind", ["file", "under-a-file"])
def test_train_checks_the_store_before_training(capsys, tmp_path, monkeypatch, kind):
    from digitpad import training

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained anyway"))
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    store = afile if kind == "file" else afile / "store"
    code, out, err = run_cli(capsys, "train", "--epochs", "1", "--store", str(store))
    assert code == 2 and str(store) in err and len(err.strip().splitlines()) == 1


def test_a_save_that_fails_at_the_end_keeps_the_model_somewhere_said(
    capsys, tmp_path, user_store, monkeypatch
):
    from digitpad.errors import StoreError
    from digitpad.store import ModelStore

    asked = tmp_path / "asked"
    real_save = ModelStore.save

    def disk_full(self, name, *args, **kwargs):
        if self.root == asked:
            raise StoreError(f"{self.root / name}: could not save (No space left on device)")
        return real_save(self, name, *args, **kwargs)

    monkeypatch.setattr(ModelStore, "save", disk_full)
    code, out, err = run_cli(
        capsys, "train", "--epochs", "1", "--hidden", "16", "--name", "kept",
        "--store", str(asked), "--json",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 1
    assert "No space left" in err and str(user_store / "kept") in err
    assert result["path"] == str(user_store / "kept") and "No space" in result["rescued_from"]
    assert (user_store / "kept" / "model.keras").is_file()


def test_an_old_user_default_does_not_change_what_eval_means(capsys, user_store):
    import shutil

    from digitpad.paths import bundled_store_dir

    shutil.copytree(bundled_store_dir() / "default", user_store / "default")
    meta_path = user_store / "default" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["test_accuracy"] = 0.5  # mark the user's copy
    meta_path.write_text(json.dumps(meta))
    code, out, _ = run_cli(capsys, "models", "--json")
    rows = json.loads(out)["models"]
    assert [(r["name"], r["bundled"], r["shadowed"]) for r in rows] == [
        ("default", False, True),
        ("default", True, False),
    ]
    code, out, _ = run_cli(capsys, "models")
    assert "yours" in out and str(user_store / "default") in out
    code, out, _ = run_cli(capsys, "delete", "default")
    assert code == 0 and "bundled default stays" in out and not (user_store / "default").exists()
    code, out, err = run_cli(capsys, "delete", "default")
    assert code == 2 and "cannot be deleted" in err


def test_models_says_a_file_is_not_a_store(capsys, tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    code, out, err = run_cli(capsys, "models", "--store", str(afile))
    assert code == 2 and "not a model store" in err and out == ""


def test_store_before_the_command_and_without_one(capsys, tmp_path, monkeypatch):
    from digitpad import cli

    code, out, _ = run_cli(capsys, "--store", str(tmp_path), "models", "--json")
    assert code == 0 and all(r["bundled"] for r in json.loads(out)["models"])
    opened = []
    monkeypatch.setattr(cli, "_cmd_app", lambda args: opened.append(args.store) or 0)
    monkeypatch.setitem(cli._COMMANDS, "app", cli._cmd_app)
    assert main(["--store", str(tmp_path)]) == 0 and opened == [str(tmp_path)]
    assert main(["app", "--store", "other"]) == 0 and opened[-1] == "other"


def test_help_is_clean_and_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    for command in ("app", "train", "eval", "models", "delete", "predict"):
        assert command in out
    assert "DIGITPAD_SETTINGS" in out


def test_a_closed_pipe_is_not_a_traceback():
    # Like "digitpad eval | head -1", made certain: the reader is gone before the output comes.
    child = subprocess.Popen(
        [sys.executable, "-m", "digitpad", "eval"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child.stdout.close()
    err = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_diverged_run_that_never_learned_is_not_saved(capsys, user_store):
    code, out, err = run_cli(
        capsys, "train", "--optimizer", "sgd", "--learning-rate", "90", "--init", "he",
        "--epochs", "1", "--name", "junk", "--json",
    )  # fmt: skip
    result = json.loads(out)
    assert code == 2 and result["status"] == "diverged"
    assert result["path"] is None and "diverged before it learned" in result["not_saved"]
    assert not (user_store / "junk").exists()
