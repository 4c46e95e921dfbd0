"""The service helpers themselves: skip or fail by ETL_REQUIRE_SERVICES, and the broker one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services import rabbitmq_available, unavailable, unique_name


def test_an_absent_service_skips_unless_services_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ETL_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis is not reachable"):
        unavailable("Redis is not reachable")
    monkeypatch.setenv("ETL_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="ETL_REQUIRE_SERVICES=1"):
        unavailable("Redis is not reachable")


def test_a_closed_port_is_no_broker() -> None:
    assert not rabbitmq_available("amqp://guest:guest@127.0.0.1:1/%2F")


@pytest.mark.services
def test_rabbitmq_connection_round_trip(rabbitmq: Any) -> None:
    channel = rabbitmq.channel()
    queue = unique_name("etl-test-")
    channel.queue_declare(queue=queue, exclusive=True, auto_delete=True)
    try:
        channel.basic_publish(exchange="", routing_key=queue, body=b"ping")
        _, _, body = channel.basic_get(queue=queue, auto_ack=True)
        assert body == b"ping"
    finally:
        channel.queue_delete(queue=queue)
        channel.close()
