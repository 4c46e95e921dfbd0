"""The engine: plugin registry and the pipeline's stages (decode, validate, process, windows,
emit)."""
