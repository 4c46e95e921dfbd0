"""etl-bloodpressure: an example third-party plugin of the ETL Narrative Engine.

It owns Health Connect ``BloodPressureRecord`` exports and is written only against etl-core's
public API (``etl_core``, ``etl_core.timeutil``, ``etl_core.figures``, ``etl_core.schemas``,
``etl_core.testing``).
"""
