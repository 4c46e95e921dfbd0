"""The RabbitMQ transport: consumer, topology, publisher and dead-letter tools."""
