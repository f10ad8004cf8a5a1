"""The API reference: every public name of the package has its words (the docstring checker, and a unit of it on a
module made to lack them), and pdoc builds the reference from them as ``./scripts/docs.sh`` does."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from support import ROOT
from support.docstrings import documented_params, undocumented

import cdk_workspaces_image


def test_every_public_name_has_a_docstring_and_every_prop_its_default() -> None:
    assert undocumented("cdk_workspaces_image") == []


FAKE = '''
"""A module made to lack words where the checker looks."""

__all__ = ["Bare", "Documented", "VALUE", "helper"]


class Documented:
    """A documented class.

    :param size: the size.
    :param colour: the colour, or :meth:`grow`'s
        choice. Default: red.
    """

    count: int
    """How many."""

    def __init__(self, size: int, colour: str = "red") -> None:
        self.count = size
        self.label = colour

    def grow(self, by: int = 1) -> None:
        """Grows.

        :param by: how much.
        """

    def shrink(self) -> None:
        pass

    def _private(self) -> None:
        pass


class Bare:
    def __init__(self, name: str) -> None:
        self.name = name


def helper(x: int) -> int:
    """Helps.

    :param x: a number.
    :param y: a parameter since removed.
    """
    return x


VALUE = 1
'''


def test_the_checker_names_each_name_without_its_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fake_api.py").write_text(textwrap.dedent(FAKE))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert undocumented("fake_api") == [
        "fake_api.Bare has no docstring",
        "fake_api.Bare: parameter name has no ':param name:'",
        "fake_api.Bare.name has no docstring",
        "fake_api.Documented.label has no docstring",
        "fake_api.Documented.grow: parameter by is optional, but its description states no default",
        "fake_api.Documented.shrink has no docstring",
        "fake_api.VALUE has no docstring",
        "fake_api.helper: ':param y:' names no parameter",
    ]


def test_a_param_runs_on_over_its_indented_lines_and_a_role_starting_one() -> None:
    docstring = ":param a: first\n    :meth:`x` goes on. Default: none.\n:param b: second\n\nA paragraph."
    assert documented_params(docstring) == {"a": "first :meth:`x` goes on. Default: none.", "b": "second"}


def load_docs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scripts_docs", ROOT / "scripts" / "docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pdoc_builds_the_reference_with_every_name_and_the_members_of_private_bases(tmp_path: Path) -> None:
    index = load_docs_script().build(tmp_path / "api")
    assert index == tmp_path / "api" / "index.html"
    assert index.is_file()
    page = (tmp_path / "api" / "cdk_workspaces_image.html").read_text()
    for name in cdk_workspaces_image.__all__:
        assert f'id="{name}"' in page, name
    # Taken from private bases (_events.ImageEvents, _copy.ImageCopyBase), rendered in full by docs/pdoc's template.
    for member in (
        "UpdatedWorkspaceImage.on_image_available",
        "WorkspaceImageCopy.on_image_failed",
        "WorkspaceImageCopy.image_id",
    ):
        assert f'<div id="{member}" class="classattr">' in page, member
