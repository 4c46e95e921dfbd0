"""Transports: how work reaches the engine (embedded directory runner, RabbitMQ)."""
