"""The core imports no Qt, and the canvas path imports no TensorFlow."""

import subprocess
import sys

import pytest

CORE = [
    "augment",
    "browse",
    "colour_maps",
    "coverage",
    "data_stats",
    "cli",
    "config",
    "curves",
    "data",
    "desktop_entry",
    "drawings",
    "errors",
    "evaluation",
    "export",
    "handwriting_style",
    "hidden_map",
    "image_files",
    "inference",
    "memory",
    "model",
    "network_summary",
    "paths",
    "preprocess",
    "priority",
    "progress",
    "robustness",
    "run_description",
    "runs",
    "save_edited",
    "setting",
    "reading",
    "segment",
    "store",
    "surgery",
    "tensorboard_log",
    "tf_setup",
    "teach",
    "tiling",
    "unit_health",
    "weight_stats",
    "training",
    "training.events",
    "training.control",
    "training.engine",
    "training.loop",
    "training.process",
    "training.tuning",
    "training.scratch",
]
CANVAS_PATH = [
    "config",
    "setting",
    "data",
    "evaluation",
    "inference",
    "paths",
    "store",
    "errors",
    "preprocess",
    "segment",
    "reading",
    "browse",
    "colour_maps",
    "coverage",
    "data_stats",
    "tiling",
    "unit_health",
    "weight_stats",
    "network_summary",
    "hidden_map",
    "surgery",
    "robustness",
    "progress",
    "drawings",
    "memory",
    "priority",
    "handwriting_style",
]


def modules_loaded_by(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_qt(module):
    loaded = modules_loaded_by(f"import digitpad.{module}")
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_prediction_path_imports_neither_qt_nor_tensorflow():
    statement = "\n".join(f"import digitpad.{m}" for m in CANVAS_PATH) + (
        "\nimport numpy as np\nfrom digitpad.inference import load_predictor"
        "\nload_predictor().predict_proba(np.zeros((1, 28, 28), np.float32))"
        "\nload_predictor().explain(np.ones((28, 28), np.float32))"
    )
    loaded = modules_loaded_by(statement)
    assert "tensorflow" not in loaded and "keras" not in loaded
    assert not {m for m in loaded if m.startswith("PySide6")}


def test_views_can_import_training_events_without_the_engine():
    loaded = modules_loaded_by("import digitpad.training.events, digitpad.gui.inside_view")
    assert "digitpad.training.engine" not in loaded and "digitpad.training.loop" not in loaded
    assert "tensorflow" not in loaded


def test_the_window_process_returns_big_freed_blocks_to_the_system():
    # In a fresh Python: the setting is process-wide.
    code = (
        "from digitpad.memory import return_big_blocks_to_the_system as r;"
        "print(r() and r(32 << 20, 32 << 20))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = "True" if sys.platform.startswith("linux") else "False"
    assert done.stdout.strip() == expected


def test_a_background_thread_can_step_aside_for_the_window():
    import os
    import threading

    from digitpad.priority import lower_thread_priority

    seen = []

    def work() -> None:
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        lowered = lower_thread_priority(5)
        after = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen.append((lowered, before, after))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    lowered, before, after = seen[0]
    if sys.platform.startswith("linux"):
        assert lowered and after == min(19, before + 5)
        # Only that thread: this one keeps its priority.
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    else:
        assert not lowered
