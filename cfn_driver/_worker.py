"""Runs inside a separate process as a warm Lambda execution environment for one function.

Started with the function's environment and `-I` (isolated), it imports the
handler from the asset directory only: any package the asset lacks and the
Lambda Python runtime doesn't provide fails to import, as it would in Lambda.
Reads one JSON invocation per line on stdin, writes one JSON result per line.
"""

import importlib
import importlib.abc
import importlib.machinery
import json
import sys
import time
import traceback
from typing import Any

# What the AWS Lambda Python runtime provides besides the standard library
# (AWS Lambda Developer Guide, "Building Lambda functions with Python": the runtime includes the SDK).
RUNTIME_PACKAGES = {"boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six", "awslambdaric"}


class _OnlyAssetAndRuntime(importlib.abc.MetaPathFinder):
    def __init__(self, asset_dir: str, stdlib_dirs: list[str]) -> None:
        self.asset_dir = asset_dir
        self.stdlib_dirs = stdlib_dirs

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if path is not None or name in sys.builtin_module_names:
            return None  # submodules follow their package; builtins are always there
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.origin in (None, "built-in", "frozen"):
            return None
        origin = spec.origin or ""
        top = name.split(".")[0]
        if origin.startswith(self.asset_dir) or top in RUNTIME_PACKAGES or top.startswith("_"):
            return None
        if any(origin.startswith(d) and "site-packages" not in origin for d in self.stdlib_dirs):
            return None
        raise ModuleNotFoundError(f"No module named '{name}' (not in the asset, not in the Lambda runtime)")


def main() -> None:
    asset_dir, handler = sys.argv[1], sys.argv[2]
    stdlib_dirs = [p for p in sys.path if p and "site-packages" not in p]
    sys.path.insert(0, asset_dir)
    sys.meta_path.insert(0, _OnlyAssetAndRuntime(asset_dir, stdlib_dirs))

    real_time = time.time
    clock = {"virtual": real_time(), "real": real_time()}

    def virtual_time() -> float:
        # The driver's virtual clock, advancing with real time within one invocation.
        return clock["virtual"] + (real_time() - clock["real"])

    time.time = virtual_time
    module_name, function_name = handler.rsplit(".", 1)
    function: Any = None

    class Context:
        def __init__(self, spec: dict[str, Any], deadline: float) -> None:
            self.function_name = spec["function_name"]
            self.invoked_function_arn = spec["function_arn"]
            self.aws_request_id = spec["request_id"]
            self.memory_limit_in_mb = spec["memory"]
            self._deadline = deadline

        def get_remaining_time_in_millis(self) -> int:
            return max(0, int((self._deadline - real_time()) * 1000))

    for line in sys.stdin:
        message = json.loads(line)
        clock["virtual"], clock["real"] = message["now"], real_time()
        context = Context(message["context"], real_time() + message["context"]["remaining_seconds"])
        try:
            if function is None:  # the cold start: a broken asset fails here, like Runtime.ImportModuleError
                function = getattr(importlib.import_module(module_name), function_name)
            function(message["event"], context)
            result: dict[str, Any] = {"ok": True}
        except BaseException as error:
            result = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
