"""Lambda as the driver needs it: a warm execution environment per function, in its own process."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("_worker.py")


@dataclass
class Invocation:
    ok: bool
    error: str = ""
    timed_out: bool = False
    real_seconds: float = 0.0


@dataclass
class LambdaHost:
    """One function. Invocations are serial per host; a timed-out environment is discarded, as Lambda does."""

    name: str
    arn: str
    asset_dir: Path
    handler: str
    env: dict[str, str]
    timeout_seconds: int
    memory: int
    # Real seconds an invocation may run here before it counts as a Lambda timeout; the
    # handler's context reports this as its remaining time, so crhelper's guard fires first.
    real_limit_seconds: float = 20.0
    invocations: int = 0
    billed_seconds: float = 0.0
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)

    def _start(self) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "SYSTEMROOT")}
        env.update(self.env)
        return subprocess.Popen(
            [sys.executable, "-I", str(WORKER), str(self.asset_dir), self.handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if not os.environ.get("CFN_DRIVER_LAMBDA_LOGS") else None,
            text=True,
            env=env,
            cwd=str(self.asset_dir),
        )

    def invoke(self, event: dict[str, Any], now: float, request_id: str) -> Invocation:
        if self._process is None or self._process.poll() is not None:
            self._process = self._start()
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        message = {
            "event": event,
            "now": now,
            "context": {
                "function_name": self.name,
                "function_arn": self.arn,
                "request_id": request_id,
                "memory": self.memory,
                "remaining_seconds": min(self.real_limit_seconds, self.timeout_seconds),
            },
        }
        started = time.monotonic()
        self.invocations += 1
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], min(self.real_limit_seconds, self.timeout_seconds))
        elapsed = time.monotonic() - started
        self.billed_seconds += elapsed
        if not ready:
            self.stop()
            return Invocation(False, "Task timed out", timed_out=True, real_seconds=elapsed)
        line = process.stdout.readline()
        if not line:
            self.stop()
            return Invocation(False, "Runtime exited", real_seconds=elapsed)
        result = json.loads(line)
        return Invocation(bool(result["ok"]), result.get("error", ""), real_seconds=elapsed)

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
