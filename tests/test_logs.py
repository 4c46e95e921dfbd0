"""Log lines stay whole: killed mid-log, a process leaves whole JSON lines or nothing."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from etl_core.transports.rabbitmq.consumer import wait_until

LOGGING_FOREVER = """
import threading
from etl_core.observability.logs import configure_logging, get_logger

configure_logging("INFO", json_lines=True)
log = get_logger("etl.test")

def chatter(n):
    while True:
        log.info("decided", action="ack", status="processed", thread=n)

for n in range(4):
    threading.Thread(target=chatter, args=(n,), daemon=True).start()
threading.Event().wait()
"""


def test_a_process_killed_while_logging_leaves_only_whole_json_lines(tmp_path: Path) -> None:
    """Through a pipe, as a container runtime or a supervisor takes a worker's stderr: a write
    of up to PIPE_BUF bytes arrives whole, so a line written in one write cannot be torn."""
    log = tmp_path / "shared.log"
    with log.open("ab") as output:
        for n in range(16):
            process = subprocess.Popen(
                [sys.executable, "-c", LOGGING_FOREVER],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            assert process.stdout is not None
            copier = threading.Thread(
                target=shutil.copyfileobj, args=(process.stdout, output), daemon=True
            )
            copier.start()
            assert wait_until(lambda: log.stat().st_size > 0, 30, 0.01)
            time.sleep(0.3 + n * 0.007)  # a spread of moments, once the threads are busy
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            copier.join(timeout=30)
            output.flush()
    lines = log.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the file ends inside a line"
    entries = [json.loads(line) for line in lines[:-1]]
    assert len(entries) > 100
    assert {entry["event"] for entry in entries} == {"decided"}
