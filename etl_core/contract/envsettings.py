"""Settings read from environment variables and a ``.env`` file, declared as typed class
attributes: core's own :class:`~etl_core.settings.Settings` and, from plugin API 1.6, a
plugin's ``etl_settings`` (see ``docs/hooks.md``).

Why not pydantic-settings (which plugins may still use): importing it costs more CPU than
everything else ``etl plugins`` does. This reads what a health pipeline's configuration needs
(text, numbers, flags, paths, one of a few names, comma-separated lists) and says which
variable is wrong, never echoing its value (it may be a secret).

A declaration::

    class ThermometerSettings(EnvSettings):
        env_prefix = "ETL_THERMOMETER_"

        unit: Literal["celsius", "fahrenheit"] = "celsius"
        decimals: int = setting(1, ge=0, le=3)

``ThermometerSettings()`` reads ``ETL_THERMOMETER_UNIT`` and ``ETL_THERMOMETER_DECIMALS``
(any case) from the environment, then from ``.env``, and raises :class:`InvalidSettings`
listing every invalid one. Keyword arguments take the place of the environment for the
fields they name; ``_env_file=None`` reads no file.
"""

from __future__ import annotations

import enum
import inspect
import math
import operator
import os
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from etl_core.contract.errors import SettingsError

__all__ = ["EnvSettings", "InvalidSettings", "SettingProblem", "setting"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


_REQUIRED: Any = _Required()


class _ClassEnvFile:
    """The default of ``_env_file``: the class's own :attr:`EnvSettings.env_file`."""

    def __repr__(self) -> str:
        return "cls.env_file"


_READ_FILE: Any = _ClassEnvFile()


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting's declaration beyond its type: what :func:`setting` returns."""

    default: Any = _REQUIRED
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    check: Callable[[Any], Any] | None = None
    """Called with the typed value; returns the value to keep (it may normalise it) or raises
    ``ValueError`` with a message that names no value."""


def setting(
    default: Any = _REQUIRED,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A setting's default and constraints, as the class attribute's value. Bounds apply to
    numbers, lengths to text and lists; ``check`` runs last. Without a default the variable is
    required."""
    return Setting(default, ge, gt, le, lt, min_length, max_length, check)


@dataclass(frozen=True, slots=True)
class SettingProblem:
    variable: str
    reason: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.reason}"


class InvalidSettings(SettingsError):
    """Settings that cannot be used: every invalid variable, each with its reason."""

    def __init__(self, problems: list[SettingProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


Convert = Callable[[Any], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a whole number")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("must be true or false")


def _path(value: Any) -> Path:
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    raise ValueError("must be a path")


def _choice(options: tuple[Any, ...]) -> Convert:
    def convert(value: Any) -> Any:
        for option in options:
            if value == option or (isinstance(value, str) and str(option) == value.strip()):
                return option
        raise ValueError(f"must be one of: {', '.join(map(str, options))}")

    return convert


def _member(kind: type[enum.Enum]) -> Convert:
    by_value = _choice(tuple(member.value for member in kind))

    def convert(value: Any) -> Any:
        return value if isinstance(value, kind) else kind(by_value(value))

    return convert


def _items(collect: Callable[[Iterator[Any]], Any], item: Convert) -> Convert:
    def convert(value: Any) -> Any:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, (list, tuple, set, frozenset)):
            raise ValueError("must be a comma-separated list")
        texts = (p.strip() if isinstance(p, str) else p for p in parts)
        return collect(item(p) for p in texts if p != "")

    return convert


def _optional(convert: Convert) -> Convert:
    def optional(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return convert(value)

    return optional


_SIMPLE: dict[Any, Convert] = {str: _text, int: _integer, float: _number, bool: _flag, Path: _path}


def _converter(hint: Any, where: str) -> Convert:
    """Text (or a Python value given in code) -> a value of ``hint``."""
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _member(hint)
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return _choice(arguments)
    if origin in (typing.Union, types.UnionType) and type(None) in arguments:
        rest = [a for a in arguments if a is not type(None)]
        if len(rest) == 1:
            return _optional(_converter(rest[0], where))
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        return _items(tuple, _converter(arguments[0], where))
    if origin is frozenset and len(arguments) == 1:
        return _items(frozenset, _converter(arguments[0], where))
    raise TypeError(f"{where}: settings of type {hint!r} are not supported")


def _bounded(declared: Setting, value: Any) -> Any:
    """``value`` if within the declaration's bounds; else ``ValueError`` saying which."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for bound, holds, words in (
            (declared.ge, operator.ge, "at least"),
            (declared.gt, operator.gt, "greater than"),
            (declared.le, operator.le, "at most"),
            (declared.lt, operator.lt, "less than"),
        ):
            if bound is not None and not holds(value, bound):
                raise ValueError(f"must be {words} {bound:g}")
    if isinstance(value, (str, tuple, frozenset)):
        unit = "character" if isinstance(value, str) else "item"
        if declared.min_length is not None and len(value) < declared.min_length:
            raise ValueError(f"must have at least {declared.min_length} {unit}(s)")
        if declared.max_length is not None and len(value) > declared.max_length:
            raise ValueError(f"must have at most {declared.max_length} {unit}(s)")
    return value


@dataclass(frozen=True, slots=True)
class _Field:
    convert: Convert
    declared: Setting

    def value(self, given: Any) -> Any:
        typed = _bounded(self.declared, self.convert(given))
        return typed if self.declared.check is None else self.declared.check(typed)


def read_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """``NAME=value`` lines of a dotenv file (``export`` allowed; ``#`` comments; single quotes
    literal, double quotes with ``\\n`` and ``\\"``); ``{}`` when there is no such file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        if not equals:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\n", "\n").replace('\\"', '"')
        else:
            value = value.split(" #", 1)[0].rstrip()
        found[name.strip().upper()] = value
    return found


class EnvSettings:
    """Base of a settings class: annotate each setting with its type and give it a default
    (or :func:`setting`). Instances are immutable; :meth:`replace` makes a changed copy."""

    env_prefix: ClassVar[str] = ""
    """Put before each field's upper-cased name to make its variable."""
    env_file: ClassVar[str | None] = ".env"
    """Read after the environment (which wins); ``None``: no file."""
    env_ignore_empty: ClassVar[bool] = False
    """Whether a variable set to the empty string counts as unset (its default)."""
    _fields: ClassVar[dict[str, _Field]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls)
        annotated = inspect.get_annotations(cls)
        fields = dict(cls._fields)
        for name in annotated:
            hint = hints[name]
            if typing.get_origin(hint) is ClassVar or name.startswith("_"):
                continue
            if hasattr(EnvSettings, name):
                raise TypeError(f"{cls.__name__}.{name}: the name of an EnvSettings method")
            attribute = cls.__dict__.get(name, _REQUIRED)
            declared = attribute if isinstance(attribute, Setting) else Setting(attribute)
            fields[name] = _Field(_converter(hint, f"{cls.__name__}.{name}"), declared)
            if name in cls.__dict__:
                delattr(cls, name)  # the value lives on the instance
        for name, inherited in cls._fields.items():
            # A subclass may give an inherited setting a new default without annotating it.
            if name in cls.__dict__ and name not in annotated:
                attribute = cls.__dict__[name]
                declared = attribute if isinstance(attribute, Setting) else Setting(attribute)
                fields[name] = _Field(inherited.convert, declared)
                delattr(cls, name)
        cls._fields = fields

    def __init__(self, _env_file: str | os.PathLike[str] | None = _READ_FILE, **values: Any):
        fields = type(self)._fields
        unknown = sorted(values.keys() - fields.keys())
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting {unknown[0]!r}")
        found = self._environment(type(self).env_file if _env_file is _READ_FILE else _env_file)
        problems: list[SettingProblem] = []
        for name, field in fields.items():
            variable = type(self).variable(name)
            if name in values:
                given = values[name]
            elif variable in found:
                given = found[variable]
            elif field.declared.default is _REQUIRED:
                problems.append(SettingProblem(variable, "is required"))
                continue
            else:
                object.__setattr__(self, name, field.declared.default)
                continue
            try:
                object.__setattr__(self, name, field.value(given))
            except (ValueError, TypeError) as exc:
                problems.append(SettingProblem(variable, " ".join(str(exc).split())))
        if problems:
            raise InvalidSettings(problems)

    @classmethod
    def _environment(cls, env_file: str | os.PathLike[str] | None) -> dict[str, str]:
        """Variables of this class's prefix: the environment's over the file's."""
        prefix = cls.env_prefix.upper()
        found = {
            name: value
            for source in (read_env_file(env_file) if env_file else {}, os.environ)
            for name, value in ((n.upper(), v) for n, v in source.items())
            if name.startswith(prefix)
        }
        if cls.env_ignore_empty:
            found = {name: value for name, value in found.items() if value != ""}
        return found

    @classmethod
    def defaults(cls) -> typing.Self:
        """Every setting at its default, the environment unread and nothing checked (a
        required setting is left unset)."""
        settings = cls.__new__(cls)
        for name, field in cls._fields.items():
            if field.declared.default is not _REQUIRED:
                object.__setattr__(settings, name, field.declared.default)
        return settings

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(cls._fields)

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of field ``name``."""
        return f"{cls.env_prefix}{name}".upper()

    def values(self) -> dict[str, Any]:
        """Field name -> value (a required field of :meth:`defaults` is absent)."""
        return {name: self.__dict__[name] for name in type(self)._fields if name in self.__dict__}

    def replace(self, **changes: Any) -> typing.Self:
        """A copy with ``changes`` (checked as given values are), the rest as here."""
        return type(self)(None, **{**self.values(), **changes})

    def environment(self) -> dict[str, str | None]:
        """These settings as the variables that give them back (``None``: unset), for a child
        process that must run with exactly these settings."""
        return {type(self).variable(name): _as_text(value) for name, value in self.values().items()}

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use replace()")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.values() == typing.cast(Any, other).values()

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.values().values())))

    def __repr__(self) -> str:
        # Names only: values may be secrets (keys, passwords in URLs).
        return f"{type(self).__name__}({', '.join(type(self)._fields)})"


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, frozenset):
        return ",".join(sorted(map(str, value)))
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)
