"""etl-bloodpressure: an example third-party plugin of the ETL Narrative Engine.

It owns Health Connect ``BloodPressureRecord`` exports and is written only against etl-core's
public API (``etl_core``, ``etl_core.contract.timeutil``, ``etl_core.contract.figures``,
``etl_core.contract.schemas``,
``etl_core.testing``).
"""
