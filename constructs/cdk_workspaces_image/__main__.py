"""``python -m cdk_workspaces_image status STACK ...``: the status command (see ``_status_cli``)."""

from __future__ import annotations

import sys

from ._status_cli import main

if __name__ == "__main__":
    sys.exit(main())
