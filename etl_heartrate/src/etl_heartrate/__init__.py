"""etl-heartrate: heart rate and heart-rate variability (RMSSD) for the ETL Narrative Engine."""

__all__: list[str] = []
