"""Where the handler asset lives, and the shared rules loaded from it."""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Union, cast


class SharedRules(Protocol):
    """The part of ``lambda/rules.py`` the construct uses."""

    OWNER_TAG_KEY: str
    APPLIED_TAG_KEY: str
    MAX_TIMEOUT_SECONDS: int

    def wait_condition_timeout(self, timeout_seconds: float) -> int: ...

    def image_problems(
        self,
        *,
        source_image_id: Optional[str] = None,
        image_name: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Mapping[str, Optional[str]]] = None,
        timeout_seconds: Optional[float] = None,
        no_update_behavior: Optional[str] = None,
    ) -> list[str]: ...

    def bundle_problems(
        self,
        *,
        bundle_name: Optional[str] = None,
        description: Optional[str] = None,
        image_id: Optional[str] = None,
        compute_type: Optional[str] = None,
        tags: Optional[Mapping[str, Optional[str]]] = None,
    ) -> list[str]: ...

    def storage_problems(
        self, user_storage_gib: Union[str, float], root_storage_gib: Union[str, float, None]
    ) -> list[str]: ...

    def bundle_image_problems(
        self, *, bundle_id: Optional[str] = None, image_id: Optional[str] = None
    ) -> list[str]: ...


if TYPE_CHECKING:
    # lambda/ is on mypy_path: the checker proves the real file satisfies the protocol.
    import rules as _rules_file

    _conforms: SharedRules = _rules_file

_PACKAGE_DIR = Path(__file__).resolve().parent
# An installed wheel carries lambda/ as the subpackage cdk_workspaces_image/_handler.
_INSTALLED_HANDLER_DIR = _PACKAGE_DIR / "_handler"
# In a source checkout the package sits at constructs/cdk_workspaces_image, two levels below lambda/'s parent.
_SOURCE_HANDLER_DIR = _PACKAGE_DIR.parent.parent / "lambda"

RULES_MODULE_NAME = "cdk_workspaces_image._rules"


def handler_dir() -> Path:
    """The directory holding the handler's ``index.py`` and ``rules.py``."""
    for candidate in (_INSTALLED_HANDLER_DIR, _SOURCE_HANDLER_DIR):
        if (candidate / "rules.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"cdk-workspaces-image: handler asset not found in {_INSTALLED_HANDLER_DIR} or {_SOURCE_HANDLER_DIR}; "
        "reinstall the package"
    )


@functools.cache
def rules() -> SharedRules:
    """The handler's own ``rules.py``, so synth and run time judge a value by the very same code."""
    if RULES_MODULE_NAME in sys.modules:
        return cast(SharedRules, sys.modules[RULES_MODULE_NAME])
    path = handler_dir() / "rules.py"
    spec = importlib.util.spec_from_file_location(RULES_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cdk-workspaces-image: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[RULES_MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[RULES_MODULE_NAME]
        raise
    return cast(SharedRules, module)
