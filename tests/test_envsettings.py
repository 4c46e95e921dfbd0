"""``EnvSettings``: typed settings from the environment and ``.env`` (core's own, and a plugin's
since plugin API 1.6), and the registry's handling of a plugin that declares them."""

from __future__ import annotations

import enum
import importlib.metadata
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl_core import EnvSettings, InvalidSettings, setting
from etl_core.contract.envsettings import read_env_file
from etl_core.engine.registry import ENTRY_POINT_GROUP, PluginLoadError, load_plugins
from etl_core.settings import Settings
from tests.support.settings_plugins import LIGHT_THERMOMETER, LightThermometerSettings


class Mode(enum.Enum):
    FAST = "fast"
    CAREFUL = "careful"


def _positive_even(value: int) -> int:
    if value % 2:
        raise ValueError("must be even")
    return value


class Sample(EnvSettings):
    env_prefix = "ETL_SAMPLE_"

    name: str = "default"
    count: int = setting(2, ge=0, le=10, check=_positive_even)
    ratio: float = setting(0.5, gt=0, lt=1)
    enabled: bool = False
    folder: Path | None = None
    level: Literal["low", "high"] = "low"
    mode: Mode = Mode.FAST
    delays: tuple[int, ...] = (1, 2)
    names: frozenset[str] = frozenset()
    key: str = setting(min_length=4)


@pytest.fixture(autouse=True)
def _no_sample_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_SAMPLE_KEY", "k3y!")


def test_every_kind_of_field_is_read_from_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ETL_SAMPLE_NAME": "ward 7",
        "ETL_SAMPLE_COUNT": " 8 ",
        "ETL_SAMPLE_RATIO": "0.25",
        "ETL_SAMPLE_ENABLED": "Yes",
        "ETL_SAMPLE_FOLDER": "/data/in",
        "ETL_SAMPLE_LEVEL": "high",
        "ETL_SAMPLE_MODE": "careful",
        "ETL_SAMPLE_DELAYS": "10, 20,,30",
        "etl_sample_names": "a, b ,a",  # any case
    }.items():
        monkeypatch.setenv(name, value)
    read = Sample(_env_file=None)
    assert (read.name, read.count, read.ratio, read.enabled) == ("ward 7", 8, 0.25, True)
    assert (read.folder, read.level, read.mode) == (Path("/data/in"), "high", Mode.CAREFUL)
    assert (read.delays, read.names, read.key) == ((10, 20, 30), frozenset({"a", "b"}), "k3y!")


def test_unset_variables_take_the_defaults_and_an_empty_optional_is_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ETL_SAMPLE_FOLDER", "")
    read = Sample(_env_file=None)
    assert read.values() == {
        **Sample.defaults().values(),
        "key": "k3y!",
        "folder": None,
    }


def test_every_invalid_variable_is_named_with_its_reason_and_never_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = {
        "ETL_SAMPLE_COUNT": ("13", "must be at most 10"),
        "ETL_SAMPLE_RATIO": ("1.5", "must be less than 1"),
        "ETL_SAMPLE_ENABLED": ("perhaps", "must be true or false"),
        "ETL_SAMPLE_LEVEL": ("medium", "must be one of: low, high"),
        "ETL_SAMPLE_MODE": ("reckless", "must be one of: fast, careful"),
        "ETL_SAMPLE_DELAYS": ("10,soon", "must be a whole number"),
        "ETL_SAMPLE_KEY": ("abc", "must have at least 4 character(s)"),
    }
    for name, (value, _) in bad.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSettings) as error:
        Sample(_env_file=None)
    assert {(p.variable, p.reason) for p in error.value.problems} == {
        (name, why) for name, (_, why) in bad.items()
    }
    for value, _ in bad.values():
        assert value not in str(error.value).replace("at most 10", "")


def test_a_check_runs_on_the_typed_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_SAMPLE_COUNT", "3")
    with pytest.raises(InvalidSettings, match="ETL_SAMPLE_COUNT: must be even"):
        Sample(_env_file=None)


def test_a_setting_without_default_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ETL_SAMPLE_KEY")
    with pytest.raises(InvalidSettings, match=r"^ETL_SAMPLE_KEY: is required$"):
        Sample(_env_file=None)


def test_the_environment_wins_over_the_env_file_which_is_parsed_like_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n"
        "export ETL_SAMPLE_NAME='ward # 7'\n"
        'ETL_SAMPLE_LEVEL="high"\n'
        "ETL_SAMPLE_COUNT=4   # inline comment\n"
        "ETL_OTHER_PLUGIN=ignored\n"
        "not a variable\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ETL_SAMPLE_COUNT", "6")
    read = Sample(_env_file=env_file)
    assert (read.name, read.level, read.count) == ("ward # 7", "high", 6)
    assert read_env_file(tmp_path / "missing.env") == {}


def test_an_empty_value_is_the_default_when_the_class_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ETL_THERMOMETER_DECIMALS", "")
    assert LightThermometerSettings(_env_file=None).decimals == 1
    monkeypatch.setenv("ETL_SAMPLE_COUNT", "")
    with pytest.raises(InvalidSettings, match="ETL_SAMPLE_COUNT: must be a whole number"):
        Sample(_env_file=None)


def test_settings_are_immutable_and_replace_checks_what_it_changes() -> None:
    read = Sample(_env_file=None)
    with pytest.raises(AttributeError, match="immutable"):
        read.count = 4  # type: ignore[misc]
    assert read.replace(count=4).count == 4 and read.count == 2
    with pytest.raises(InvalidSettings, match="ETL_SAMPLE_COUNT: must be at most 10"):
        read.replace(count=12)
    with pytest.raises(TypeError, match="no setting 'colour'"):
        read.replace(colour="red")


def test_repr_names_fields_but_shows_no_value() -> None:
    assert "k3y!" not in repr(Sample(_env_file=None))
    keyed = Settings(_env_file=None, pseudonym_key="a-secret-pseudonym-key")
    assert "a-secret" not in repr(keyed) and "pseudonym_key" in repr(keyed)


def test_a_class_with_an_unsupported_type_or_a_reserved_name_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Odd\.when: settings of type"):

        class Odd(EnvSettings):
            when: dict[str, int] = {}  # noqa: RUF012

    with pytest.raises(TypeError, match=r"Clash\.replace: the name of an EnvSettings method"):

        class Clash(EnvSettings):
            replace: str = "x"  # type: ignore[assignment]


def test_a_subclass_may_change_an_inherited_default(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stricter(Sample):
        count = setting(4, ge=4, le=10)
        level = "high"

    read = Stricter(_env_file=None)
    assert (read.count, read.level, read.name) == (4, "high", "default")
    monkeypatch.setenv("ETL_SAMPLE_COUNT", "2")
    with pytest.raises(InvalidSettings, match="ETL_SAMPLE_COUNT: must be at least 4"):
        Stricter(_env_file=None)
    assert Sample(_env_file=None).count == 2  # the parent is unchanged


@given(
    name=st.text(st.characters(codec="utf-8", exclude_characters=",\x00"), min_size=1).filter(
        lambda t: t.strip() == t and t.strip() != ""
    ),
    count=st.sampled_from([0, 2, 4, 10]),
    ratio=st.floats(min_value=0.001, max_value=0.999),
    enabled=st.booleans(),
    level=st.sampled_from(["low", "high"]),
    mode=st.sampled_from(list(Mode)),
    delays=st.lists(st.integers(-(10**12), 10**12), max_size=5).map(tuple),
    names=st.frozensets(st.from_regex(r"[a-z][a-z0-9.-]{0,12}", fullmatch=True), max_size=4),
)
def test_environment_gives_back_the_same_settings(
    name: str,
    count: int,
    ratio: float,
    enabled: bool,
    level: str,
    mode: Mode,
    delays: tuple[int, ...],
    names: frozenset[str],
) -> None:
    """What a child process is started with (``environment()``) reads back as equal."""
    settings = Sample(
        _env_file=None,
        name=name,
        count=count,
        ratio=ratio,
        enabled=enabled,
        level=level,
        mode=mode,
        delays=delays,
        names=names,
        key="k3y!",
    )
    text = settings.environment()
    fields = {n.removeprefix("ETL_SAMPLE_").lower(): v for n, v in text.items() if v is not None}
    assert Sample(_env_file=None, **fields) == settings


def test_core_settings_read_lists_and_normalise_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_RETRY_DELAYS_MS", "100,200")
    monkeypatch.setenv("ETL_RAW_PREFIX", "/uploads//")
    monkeypatch.setenv("ETL_DEDUPLICATION_URL", "redis://user:pw@host:99999/0")
    with pytest.raises(InvalidSettings) as error:
        Settings(_env_file=None)
    assert str(error.value) == (
        "ETL_DEDUPLICATION_URL: the port is out of range (0-65535) in redis://user:***@host:99999/0"
    )
    monkeypatch.delenv("ETL_DEDUPLICATION_URL")
    read = Settings(_env_file=None)
    assert (read.retry_delays_ms, read.raw_prefix) == ((100, 200), "uploads/")


# -- a plugin declaring EnvSettings -----------------------------------------------------------


def light_thermometer() -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(
        name="light-thermometer",
        value="tests.support.settings_plugins:LIGHT_THERMOMETER",
        group=ENTRY_POINT_GROUP,
    )


def test_a_plugins_envsettings_are_read_once_and_handed_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ETL_THERMOMETER_UNIT", "fahrenheit")
    monkeypatch.delenv("ETL_THERMOMETER_DECIMALS", raising=False)
    registry = load_plugins(entry_points=[light_thermometer()])
    settings = registry.settings["light-thermometer"]
    assert settings == LightThermometerSettings(_env_file=None, unit="fahrenheit", decimals=1)
    assert LIGHT_THERMOMETER.received[-1] is settings


@pytest.mark.parametrize(
    ("value", "why"),
    [("kelvin", "must be one of: celsius, fahrenheit"), ("7", None)],
)
def test_an_invalid_envsetting_refuses_start_up_in_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str | None
) -> None:
    variable = "ETL_THERMOMETER_UNIT" if why else "ETL_THERMOMETER_DECIMALS"
    monkeypatch.setenv(variable, value)
    with pytest.raises(PluginLoadError) as error:
        load_plugins(entry_points=[light_thermometer()])
    message = str(error.value)
    reason = why or "must be at most 3"
    assert message == (
        f"plugin 'light-thermometer' has an invalid setting {variable}: {reason}; fix or unset it"
    )
