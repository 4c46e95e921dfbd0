"""A minimal Chrome DevTools Protocol driver over ``--remote-debugging-pipe``.

No browser download and no websocket library: Chromium reads NUL-terminated JSON commands on
file descriptor 3 and writes responses and events on descriptor 4. Waits are on conditions
(a response or an event arriving), with a generous deadline, never fixed sleeps.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT = 60.0


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; collects console errors and exceptions."""

    def __init__(self, binary: str, profile: Path, width: int = 1400, height: int = 1000) -> None:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Far from 3 and 4, so that the child's dup2 onto 3 and 4 cannot clobber one another.
        child_in = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 20)
        child_out = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 20)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def wire() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        arguments = [
            binary,
            "--headless=new",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        if os.geteuid() == 0:
            arguments.insert(1, "--no-sandbox")
        self.process = subprocess.Popen(
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4, child_in, child_out),
        )
        os.close(child_in)
        os.close(child_out)
        self._write = to_chrome_w
        self._read = from_chrome_r
        self._lock = threading.Condition()
        self._responses: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        self._closed = False
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )

    def _pump(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._read, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._lock:
                    if "id" in message:
                        self._responses[message["id"]] = message
                    else:
                        self._events.append(message)
                    self._lock.notify_all()

    def _wait(self, ready: Callable[[], Any], what: str) -> Any:
        box: list[Any] = []

        def check() -> bool:
            if not box:
                value = ready()
                if value:
                    box.append(value)
            return bool(box) or self._closed

        with self._lock:
            self._lock.wait_for(check, timeout=TIMEOUT)
        if not box:
            raise BrowserError(f"chromium: no {what} within {TIMEOUT:.0f} s")
        return box[0]

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        response = self._wait(lambda: self._responses.pop(ident, None), f"answer to {method}")
        if "error" in response:
            raise BrowserError(f"{method}: {response['error']}")
        result: dict[str, Any] = response.get("result", {})
        return result

    def events_since(self, mark: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events[mark:])

    def event_count(self) -> int:
        with self._lock:
            return len(self._events)

    def open(self, url: str) -> list[str]:
        """Navigate and wait for the load event; returns the console errors and uncaught
        exceptions the page produced."""
        mark = self.event_count()

        def loaded() -> bool:
            return any(
                e.get("method") == "Page.loadEventFired" and e.get("sessionId") == self.session
                for e in self._events[mark:]
            )

        result = self.send("Page.navigate", {"url": url}, session=self.session)
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        self._wait(loaded, f"load event of {url}")
        # Round trip through the page: every console event of the load has been delivered.
        self.evaluate("document.readyState")
        return errors_in(self.events_since(mark))

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        self._reader.join(timeout=TIMEOUT)
        os.close(self._read)


def errors_in(events: list[dict[str, Any]]) -> list[str]:
    """Console errors, uncaught exceptions and error log entries among CDP events."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            found.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(str(params["entry"].get("text")))
    return found
