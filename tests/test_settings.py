"""Every training setting, walked from its one declaration through the CLI and the config.

For each field: values at and a hair past each limit, through ``digitpad train``'s parser and
through ``TrainConfig.validate``; a value taken is taken exactly, a refused one is one line.
"""

from __future__ import annotations

import dataclasses

import pytest
from setting_cases import GARBAGE, NUMBER_FIELDS, inside, outside

from digitpad.cli import build_parser, config_from_args, main
from digitpad.config import FIELD_HELP, PRESETS, SETTINGS, TrainConfig
from digitpad.errors import ConfigError
from digitpad.setting import format_number

CASES_IN = [(name, value) for name, spec in SETTINGS.items() for value in inside(spec)]
CASES_OUT = [(name, value) for name, spec in SETTINGS.items() for value in outside(spec)]


def parse_train(*argv: str) -> TrainConfig:
    return config_from_args(build_parser().parse_args(["train", *argv]))


def refused(capsys, *argv: str) -> str:
    """The one line ``digitpad train argv`` prints before exiting with status 2."""
    with pytest.raises(SystemExit) as info:
        main(["train", *argv])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("digitpad") and "Traceback" not in err
    return err


def flag_args(name: str, value) -> list[str]:
    spec = SETTINGS[name]
    if spec.kind is bool:
        return [spec.cli_flags[0] if value else "--no-" + spec.cli_flags[0][2:]]
    # --flag=VALUE: argparse would read a leading "-" of "-5e-324" as another option
    return [f"{flag}={spec.format(value)}" for flag in spec.cli_flags[:1]]


def test_every_field_is_declared_once_with_everything_about_it():
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    assert list(SETTINGS) == fields
    flags = [flag for spec in SETTINGS.values() for flag in spec.cli_flags]
    assert len(flags) == len(set(flags)), "two settings share a flag"
    for spec in SETTINGS.values():
        assert spec.label and spec.help and FIELD_HELP[spec.name] == spec.help_text
        assert spec.kind in (bool, int, float, str, tuple)
        if spec.kind in (int, float, tuple):
            assert spec.low is not None and spec.high is not None and spec.low <= spec.high
        spec.check(spec.default)


@pytest.mark.parametrize(("name", "value"), CASES_IN)
def test_a_value_inside_each_limit_passes_the_cli_and_the_config_exactly(name, value):
    config = parse_train(*flag_args(name, value))
    assert getattr(config, name) == value
    assert type(getattr(config, name)) is type(value)
    # Nothing else moved: the flag set exactly its own field.
    assert config.replace(**{name: getattr(PRESETS["tutorial"], name)}) == PRESETS["tutorial"]
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert SETTINGS[name].parse(SETTINGS[name].format(value)) == value


@pytest.mark.parametrize(("name", "value"), CASES_OUT)
def test_a_value_outside_each_limit_is_one_line_naming_the_flag(capsys, name, value):
    spec = SETTINGS[name]
    err = refused(capsys, *flag_args(name, value))
    assert f"argument {'/'.join(spec.cli_flags)}" in err
    with pytest.raises(ConfigError) as info:
        PRESETS["tutorial"].replace(**{name: value}).validate()
    assert info.value.field == name


@pytest.mark.parametrize("name", NUMBER_FIELDS)
@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_in_a_number_flag_is_one_line(capsys, name, text):
    err = refused(capsys, f"{SETTINGS[name].cli_flags[0]}={text}")
    assert repr(text) in err or "needs a" in err


@pytest.mark.parametrize("text", ["1e-4", "1E-4", "0.0001", " 1e-4 "])
def test_lr_is_the_learning_rate_and_takes_scientific_notation(text):
    """Before: `--lr 1e-4` was taken as the abbreviation of --lr-decay."""
    config = parse_train("--lr", text)
    assert config.learning_rate == 1e-4 and config.lr_decay == PRESETS["tutorial"].lr_decay
    assert parse_train("--learning-rate", text).learning_rate == 1e-4


def test_small_learning_rates_keep_full_precision():
    assert parse_train("--lr", "0.0000001").learning_rate == 1e-7
    assert parse_train("--lr", "0.000123456789").learning_rate == 0.000123456789


@pytest.mark.parametrize(
    "argv",
    [
        ["--learning-r", "0.1"],
        ["--learn", "0.1"],
        ["--lr-d", "0.5"],
        ["--epo", "3"],
        ["--batch", "50"],
        ["--aug"],
        ["--hid", "30"],
    ],
)
def test_no_abbreviation_picks_an_option_the_user_did_not_name(capsys, argv):
    err = refused(capsys, *argv)
    assert err.startswith("digitpad train: error: unrecognized arguments: " + argv[0])
    assert "did you mean --" in err  # the full spellings it could have meant


def test_the_suggestions_name_every_flag_an_abbreviation_could_mean(capsys):
    err = refused(capsys, "--l", "0.1")
    assert all(f" {flag} " in err or f" {flag}?" in err for flag in ("--lr", "--lr-decay", "--l2"))
    assert "(did you mean --learning-rate?)" in refused(capsys, "--learning=0.1")
    assert "(did you mean --epochs?)" in refused(capsys, "--epoch", "3")
    assert "(did you mean --epochs?)" in refused(capsys, "--epohcs", "3")  # a typo


def test_no_subcommand_takes_abbreviations(capsys):
    for argv in (["predict", "x.png", "--mod", "m"], ["models", "--js"], ["eval", "--js"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize("name", [n for n, s in SETTINGS.items() if s.kind is bool])
def test_boolean_settings_are_switches(capsys, name):
    flag = SETTINGS[name].cli_flags[0]
    assert getattr(parse_train(flag), name) is True
    assert getattr(parse_train("--preset", "best", "--no-" + flag[2:]), name) is False
    assert getattr(parse_train(), name) == getattr(PRESETS["tutorial"], name)
    err = refused(capsys, flag, "true")  # a switch takes no value, and says so
    assert f"switches: {flag} or --no-{flag[2:]}" in err


def test_a_preset_value_is_kept_unless_its_flag_is_given():
    assert parse_train("--preset", "best") == PRESETS["best"]
    assert parse_train("--preset", "best", "--epochs", "2") == PRESETS["best"].replace(epochs=2)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.001, "0.001"), (1e-5, "1e-5"), (1e-7, "1e-7"), (100.0, "100"), (0.1 + 0.2, None)],
)
def test_numbers_are_written_back_exactly(value, text):
    written = format_number(value)
    assert float(written) == value
    if text is not None:
        assert written == text


def test_the_learning_rate_errors_say_which_end():
    spec = SETTINGS["learning_rate"]
    with pytest.raises(ConfigError, match=r"0 is outside \(0, 100\]: must be more than 0"):
        spec.parse("0")
    with pytest.raises(ConfigError, match="must be at most 100"):
        spec.parse("100.5")


def test_a_decimal_comma_is_refused_with_the_spelling_that_works():
    with pytest.raises(ConfigError, match=r"'0,5' is not a number \(write 0.5\)"):
        SETTINGS["dropout"].parse("0,5")


@pytest.mark.parametrize("text", ["-1e-4", "-1E-4", "-0.5", "-.5", "-3"])
def test_a_negative_number_is_a_value_refused_by_its_range(capsys, text):
    err = refused(capsys, "--lr", text)
    assert f"{text} is outside (0, 100]: must be more than 0" in err  # quoted as typed
