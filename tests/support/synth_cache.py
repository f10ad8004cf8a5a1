"""A session's memo of synthesized apps: a function that synthesizes an app into the directory it is given runs once
per session for the same other arguments; each later call gets a copy of that cloud assembly in its own directory.

An app is a pure function of its arguments (the lifecycle tests' emulator has a fixed seed, so ids repeat in every
fresh cloud and one synthesized app serves many rows), and the copy is the files a synth would write, so a caller
sees what it saw before, can deploy it (the driver runs the function's code from the caller's copy) and can change
its own copy or its template without touching anyone else's. ``SYNTH_CACHE=0`` synthesizes every time, to compare.

Only module-level functions whose app depends on their arguments alone may be wrapped (not closures over a test's
values), and only with arguments the memo can key: None, str, int, float, bool, enums, cdk.Duration, and lists,
tuples, dicts and dataclasses of them. Any other argument synthesizes afresh.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import enum
import functools
import inspect
import os
import shutil
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aws_cdk as cdk

from cfn_driver.assembly import Assembly

P = ParamSpec("P")
# What the wrapped function answers: the loaded assembly, or the directory it wrote the app to.
Made = TypeVar("Made", Assembly, Path)

DISABLED = os.environ.get("SYNTH_CACHE") == "0"

_root: list[Path] = []


def _cache_dir(name: str) -> Path:
    """A fresh directory for one cached app, under this process's own (xdist workers each have theirs)."""
    if not _root:
        _root.append(Path(tempfile.mkdtemp(prefix="synth-cache-")))
        atexit.register(shutil.rmtree, _root[0], ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_root[0]))


class UnkeyableError(TypeError):
    """An argument the memo cannot compare by value."""


def key(value: object) -> Hashable:
    """A hashable stand-in for `value` that is equal for equal values (and never for values of other types)."""
    if value is None or isinstance(value, (str, int, float, bool, enum.Enum)):
        return (type(value), value)
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(key(item) for item in value))
    if isinstance(value, dict):
        # In order: the order of tags or context may show in the template.
        return (dict, tuple((key(k), key(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), tuple((f.name, key(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, cdk.Duration):
        return (cdk.Duration, value.to_string())  # Duration.minutes(90) and Duration.hours(1.5) are told apart
    raise UnkeyableError(f"cannot key {type(value).__qualname__} {value!r}")


def _copy(made: Made, cached_under: Path, outdir: Path) -> Made:
    """The cached app copied to where the caller asked for it, as the caller's function would have answered."""
    where = made.outdir if isinstance(made, Assembly) else made
    target = outdir / where.relative_to(cached_under)
    shutil.copytree(where, target, dirs_exist_ok=True)
    if isinstance(made, Assembly):
        return dataclasses.replace(made, outdir=target, template=copy.deepcopy(made.template))
    return target


def cached(synthesize: Callable[Concatenate[Path, P], Made]) -> Callable[Concatenate[Path, P], Made]:
    """`synthesize(outdir, ...)`, run once per session for equal other arguments (defaults filled in)."""
    signature = inspect.signature(synthesize)
    made: dict[Hashable, tuple[Made, Path]] = {}

    @functools.wraps(synthesize)
    def memo(outdir: Path, /, *args: P.args, **kwargs: P.kwargs) -> Made:
        if DISABLED:
            return synthesize(outdir, *args, **kwargs)
        bound = signature.bind(outdir, *args, **kwargs)
        bound.apply_defaults()
        try:
            found = key(list(bound.arguments.items())[1:])
        except UnkeyableError:
            return synthesize(outdir, *args, **kwargs)
        if found not in made:
            under = _cache_dir(synthesize.__name__)
            made[found] = (synthesize(under, *args, **kwargs), under)
        app, under = made[found]
        return _copy(app, under, Path(outdir))

    return memo
