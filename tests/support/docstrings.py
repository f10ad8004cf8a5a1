"""What the generated API reference (pdoc, ``scripts/docs.py``) would show without words: every public name of a
module that has no docstring, every parameter its docstring does not describe, and every optional parameter whose
description does not state its default.

The checker reads the module as pdoc does (``pdoc.doc``), so it judges exactly what the reference renders: the names
of ``__all__``, each class's public members, those it takes from a private base of the same package included (the
reference's template shows them as the class's own, ``docs/pdoc/module.html.jinja2``), and the ``:param name:``
entries of the class's or the function's docstring (the reStructuredText convention of this library).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from typing import Any

import pdoc.doc

# ":param name: text", the text running on over indented lines, up to the next field or a blank line (a line may
# start with a role, :meth:`...`, which is no field).
_PARAM = re.compile(
    r"^\s*:param (\w+):(.*?)(?=^\s*:(?:param|raises|returns?|rtype|type)\b|^\s*$|\Z)", re.MULTILINE | re.DOTALL
)
# A parameter's description says what happens when it is left out.
_DEFAULT = re.compile(r"\bdefault\b", re.IGNORECASE)


def documented_params(docstring: str) -> dict[str, str]:
    """Each ``:param name:`` of a docstring and its text."""
    return {match.group(1): " ".join(match.group(2).split()) for match in _PARAM.finditer(docstring)}


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _members(cls: pdoc.doc.Class) -> list[pdoc.doc.Doc[Any]]:
    """The members the reference shows for `cls`: its own, and those taken from private classes of its package."""
    package = cls.modulename.split(".")[0]
    taken = [
        member
        for (module, qualname), members in cls.inherited_members.items()
        if module.split(".")[0] == package and any(not _is_public(part) for part in [*module.split("."), qualname])
        for member in members
    ]
    return [m for m in [*cls.own_members, *taken] if _is_public(m.name) and m.kind != "class"]


def _signature_problems(where: str, function: pdoc.doc.Function, docstring: str, *, method: bool) -> list[str]:
    """A parameter the docstring does not describe, one it describes that does not exist, and an optional one whose
    description does not state its default. A method's first parameter (self, cls) is no parameter of its API."""
    problems: list[str] = []
    described = documented_params(docstring)
    signature = function.signature_without_self if method and not function.is_staticmethod else function.signature
    parameters = {
        name: parameter
        for name, parameter in signature.parameters.items()
        if parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    }
    for name, parameter in parameters.items():
        if name not in described:
            problems.append(f"{where}: parameter {name} has no ':param {name}:'")
        elif parameter.default is not inspect.Parameter.empty and not _DEFAULT.search(described[name]):
            problems.append(f"{where}: parameter {name} is optional, but its description states no default")
    problems += [f"{where}: ':param {name}:' names no parameter" for name in described if name not in parameters]
    return problems


def _class_problems(cls: pdoc.doc.Class) -> list[str]:
    problems: list[str] = []
    init = cls.members.get("__init__")
    if isinstance(init, pdoc.doc.Function) and not issubclass(cls.obj, enum.Enum):
        # The props are described in the class's docstring (aws-cdk's convention puts them on the class), or in the
        # class's own __init__'s: not in the one pdoc would inherit from a base (Construct's names `id`).
        own_init = cls.obj.__dict__.get("__init__")
        init_docstring = inspect.cleandoc(own_init.__doc__ or "") if own_init is not None else ""
        problems += _signature_problems(cls.fullname, init, cls.docstring + "\n\n" + init_docstring, method=True)
    for member in _members(cls):
        where = f"{cls.fullname}.{member.name}"
        if isinstance(member, pdoc.doc.Variable) and member.is_enum_member:
            # An enum's values are named by the API they come from; the enum's docstring says which.
            continue
        if not member.docstring.strip():
            problems.append(f"{where} has no docstring")
        elif isinstance(member, pdoc.doc.Function):
            problems += _signature_problems(where, member, member.docstring, method=True)
    return problems


def undocumented(module_name: str) -> list[str]:
    """Every name of `module_name`'s public API, as the reference renders it, that lacks its words; [] when none."""
    # Imported as any program does: pdoc's own loader keeps an import from starting processes (jsii's Node.js).
    loaded = importlib.import_module(module_name)
    # A package that loads its names on first use (PEP 562) holds them only once asked; pdoc reads what it holds.
    for name in getattr(loaded, "__all__", ()):
        getattr(loaded, name, None)
    module = pdoc.doc.Module(loaded)
    problems = [] if module.docstring.strip() else [f"{module_name} has no docstring"]
    names = getattr(module.obj, "__all__", None)
    if names is None:
        problems.append(f"{module_name} has no __all__: its public API is not declared")
        names = [m.name for m in module.own_members if _is_public(m.name)]
    for name in names:
        member = module.get(name)
        if member is None:
            problems.append(f"{module_name}.{name} is in __all__ but not in the module")
            continue
        if not member.docstring.strip():
            problems.append(f"{module_name}.{name} has no docstring")
        if isinstance(member, pdoc.doc.Class):
            problems += _class_problems(member)
        elif isinstance(member, pdoc.doc.Function):
            problems += _signature_problems(f"{module_name}.{name}", member, member.docstring, method=False)
    return problems
