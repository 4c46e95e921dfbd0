"""In-test plugins for the configuration hooks and for replacing a built-in: each is an object
an ``EntryPoint("name", "tests.support.settings_plugins:NAME")`` loads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from etl_core import Artifact, EnvSettings, ProcessedBatch, hookimpl, setting


class ThermometerSettings(BaseSettings):
    """``ETL_THERMOMETER_*``: what a plugin's settings class looks like."""

    model_config = SettingsConfigDict(env_prefix="ETL_THERMOMETER_", env_ignore_empty=True)

    unit: Literal["celsius", "fahrenheit"] = "celsius"
    decimals: int = Field(default=1, ge=0, le=3)


class Thermometer:
    """Declares settings and keeps what core hands it."""

    ETL_PLUGIN_API = "1"

    def __init__(self) -> None:
        self.received: list[BaseSettings] = []

    @hookimpl
    def etl_settings(self) -> type[ThermometerSettings]:
        return ThermometerSettings

    @hookimpl
    def etl_configure(self, settings: ThermometerSettings) -> None:
        self.received.append(settings)


class LightThermometerSettings(EnvSettings):
    """The same settings declared with core's ``EnvSettings`` (plugin API 1.6)."""

    env_prefix = "ETL_THERMOMETER_"
    env_ignore_empty = True

    unit: Literal["celsius", "fahrenheit"] = "celsius"
    decimals: int = setting(1, ge=0, le=3)


class LightThermometer:
    """Declares ``EnvSettings`` and keeps what core hands it."""

    ETL_PLUGIN_API = "1.6"

    def __init__(self) -> None:
        self.received: list[LightThermometerSettings] = []

    @hookimpl
    def etl_settings(self) -> type[LightThermometerSettings]:
        return LightThermometerSettings

    @hookimpl
    def etl_configure(self, settings: LightThermometerSettings) -> None:
        self.received.append(settings)


class StrictFileSettings(BaseSettings):
    """Reads ``.env`` but forbids variables it does not declare (pydantic's default)."""

    model_config = SettingsConfigDict(
        env_prefix="ETL_STRICT_", env_file=".env", env_ignore_empty=True
    )

    limit: int = 3


class StrictFile:
    """Declares a settings class that refuses the shared ``.env``'s other variables."""

    ETL_PLUGIN_API = "1.3"

    @hookimpl
    def etl_settings(self) -> type[StrictFileSettings]:
        return StrictFileSettings

    @hookimpl
    def etl_configure(self, settings: StrictFileSettings) -> None:
        pass


class ConfigureOnly:
    """Wants settings but declares none: refused at start-up."""

    ETL_PLUGIN_API = "1"

    @hookimpl
    def etl_configure(self, settings: BaseSettings) -> None:
        raise AssertionError("never called")


class ReplacementWriter:
    """Writes each processed batch as one line of its own layout, in place of core's training
    JSONL writer."""

    ETL_PLUGIN_API = "1"

    @hookimpl
    def etl_emit(self, processed: ProcessedBatch) -> list[Artifact]:
        line = f"{processed.batch.record_type} {processed.result.summary}\n"
        key = f"replaced/{processed.idempotency_key.replace(':', '_')}.txt"
        return [Artifact(key=key, data=line.encode("utf-8"), content_type="text/plain")]


THERMOMETER = Thermometer()
LIGHT_THERMOMETER = LightThermometer()
CONFIGURE_ONLY = ConfigureOnly()
STRICT_FILE = StrictFile()
REPLACEMENT_WRITER = ReplacementWriter()
