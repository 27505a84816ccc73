from digitpad.runs import RunLabel, plural, untrained_reason


def test_only_a_diverged_run_no_better_than_guessing_is_not_worth_saving():
    assert untrained_reason("diverged", 0.077) is not None
    assert untrained_reason("diverged", 0.90) is None  # its last good weights learned a lot
    assert untrained_reason("cancelled", 0.41) is None  # partial, but a model
    assert untrained_reason("completed", 0.11) is None  # a bad run is still the user's choice
    assert "no weights" in untrained_reason("cancelled", None)


def test_a_run_label_says_name_accuracy_and_whether_it_is_partial():
    done = RunLabel("02:48", "completed", 0.9793)
    assert done.text() == "unsaved run 02:48 · 97.93%" and not done.partial
    stopped = RunLabel("02:49", "cancelled", 0.4082, 40, 5500)
    assert stopped.partial
    assert stopped.text() == "unsaved run 02:49 · 40.82% · partial: stopped at step 40 of 5,500"
    assert "partial: diverged" in RunLabel("02:50", "diverged", 0.5).text()


def test_plural():
    assert [plural(n, "step") for n in (0, 1, 2)] == ["0 steps", "1 step", "2 steps"]
