"""BloodGlucoseRecord processor for the ETL Narrative Engine (plugin name ``glucose``)."""

__all__: list[str] = []
