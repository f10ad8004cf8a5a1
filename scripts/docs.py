"""The API reference, generated from the docstrings by pdoc: ``python scripts/docs.py [OUTPUT]`` writes
OUTPUT/index.html (default docs/api/, which git ignores). ``./scripts/docs.sh`` runs it after the set-up.

The docstrings are reStructuredText (``:param name:``); docs/pdoc/ holds the one template change (a class's members
taken from a private base are shown in full). tests/distribution/test_docs.py builds it the same way and checks that
every public name has its words (tests/support/docstrings.py).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pdoc
import pdoc.render

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cdk_workspaces_image"
DEFAULT_OUTPUT = ROOT / "docs" / "api"


def build(output: Path) -> Path:
    """Writes the reference of the package into `output`; its index page."""
    pdoc.render.configure(
        docformat="restructuredtext",
        template_directory=ROOT / "docs" / "pdoc",
        footer_text=f"{PACKAGE} API reference",
    )
    # The package loads its constructs on first use (PEP 562), and pdoc reads only what a module already holds.
    package = importlib.import_module(PACKAGE)
    for name in package.__all__:
        getattr(package, name)
    pdoc.pdoc(PACKAGE, output_directory=output)
    return output / "index.html"


if __name__ == "__main__":
    # Importing aws-cdk-lib starts its Node.js runtime (jsii), which pdoc's loader refuses unless allowed.
    os.environ["PDOC_ALLOW_EXEC"] = "1"
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))
