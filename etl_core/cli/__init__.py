"""The ``etl`` command line."""
