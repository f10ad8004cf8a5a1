"""EventBridge's event patterns and target input, as pure functions: which events a rule matches, what a target gets.

Sources (Amazon EventBridge User Guide and API reference):
- Event patterns, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html: a pattern has the
  structure of the events it matches; the event must contain every field the pattern names, with the same nesting;
  fields the pattern does not name are ignored; matching is exact, character by character, without case folding.
- Arrays, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html: "The value of each
  field in an event pattern is an array containing one or more values. An event pattern matches the event if any of
  the values in the array match the value in the event. If the value in the event is an array, then the event
  pattern matches if the intersection of the event pattern array and the event array is non-empty."
- Comparison operators, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
  begins with (`[{"prefix": "us-"}]`) and exists (`[{"exists": true}]`, `false` for a field that is absent);
  "Comparison operators only work on leaf nodes, with the exception of $or and anything-but."
- Input transformation, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html, and
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html: a target gets the event, or
  its Input (JSON text, sent as it is), or the part of the event its InputPath selects, or its InputTransformer's
  InputTemplate with each <variable> of InputPathsMap (a JSON path into the event) put in; the predefined variables
  aws.events.rule-arn, aws.events.rule-name, aws.events.event.ingestion-time, aws.events.event (the event without
  detail) and aws.events.event.json (the whole event). The guide: put quotes around a variable holding a string, and
  none around one holding an object or an array.

Modelled: exact values (strings, numbers, booleans, null), prefix and exists, nested objects. Any other operator a
pattern may hold (anything-but, numeric, suffix, equals-ignore-case, wildcard, cidr, $or, ...) is refused at PutRule
(`pattern_problem`), as a choice made here: a rule is never matched by half-understood rules. JSON paths: `$`, and
dot notation with array indices (`$.detail.ImageId`, `$.resources[0]`); a wildcard is refused at PutTargets
(`input_problem`).

Undocumented, and the choices made here: an empty pattern, or an empty array in one, is refused; a number matches a
number of the same JSON type and value (1 and 1.0 differ; the CDK's EventPattern reference,
https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_events/EventPattern.html, says "Number matching is at the
string representation level"); exists on a field whose value is an object matches neither true nor false (leaf
nodes only); an intermediate object the event lacks is absent for everything under it, so `exists: false` below it
matches. In a template, a variable inside quotes gets a string's characters (escaped for JSON) or another value's
JSON text, and one outside quotes a string's characters as they are or another value's JSON text (what the guide's
examples show); a path the event lacks gives an empty string inside quotes and null outside. A filled template that
is JSON is sent as that value, anything else as the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# An event field the event does not have (None is JSON null, which a pattern can match).
_ABSENT: Any = object()
# The operators modelled, and the type of their argument.
_OPERATORS: dict[str, type] = {"prefix": str, "exists": bool}
_STEP = re.compile(r"\.([A-Za-z0-9_\-/]+)|\[([0-9]+)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")

Path = tuple[str | int, ...]


# -- event patterns -------------------------------------------------------------------------------------------


def parse_pattern(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """A PutRule EventPattern, parsed: (pattern, None), or (None, why it is refused)."""
    try:
        pattern = json.loads(text)
    except ValueError:
        return None, "the pattern is not JSON"
    problem = _pattern_problem(pattern, "")
    return (None, problem) if problem else (pattern, None)


def _pattern_problem(node: Any, path: str) -> str | None:
    if not isinstance(node, dict) or not node:
        return f"{path or 'the pattern'} must be a non-empty object"
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key.startswith("$"):
            return f"{where}: {key} is not modelled by the emulator"
        if isinstance(value, dict):
            problem = _pattern_problem(value, where)
        elif isinstance(value, list):
            problem = _values_problem(value, where)
        else:
            problem = f"{where} must be an object or an array"
        if problem:
            return problem
    return None


def _values_problem(values: list[Any], where: str) -> str | None:
    if not values:
        return f"{where}: an empty array matches nothing"
    for value in values:
        if isinstance(value, list):
            return f"{where}: an array cannot hold an array"
        if isinstance(value, dict):
            if len(value) != 1:
                return f"{where}: an operator object holds exactly one operator"
            ((operator, argument),) = value.items()
            if operator not in _OPERATORS:
                return f"{where}: the {operator!r} operator is not modelled by the emulator"
            kind = _OPERATORS[operator]
            if not isinstance(argument, kind):
                return f"{where}: {operator} takes a {'string' if kind is str else 'boolean'}"
    return None


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether `event` (a JSON object, or _ABSENT below a missing intermediate field) matches a checked pattern."""
    for key, wanted in pattern.items():
        value = event.get(key, _ABSENT) if isinstance(event, Mapping) else _ABSENT
        if isinstance(wanted, Mapping):
            if not matches(wanted, value):
                return False
        elif not any(_leaf_matches(leaf, value) for leaf in wanted):
            return False
    return True


def _leaf_matches(leaf: Any, value: Any) -> bool:
    if isinstance(leaf, Mapping):
        ((operator, argument),) = leaf.items()
        if operator == "exists":
            if isinstance(value, Mapping):
                return False  # an intermediate node: exists works on leaf nodes only
            return (value is not _ABSENT) is bool(argument)
        return any(isinstance(one, str) and one.startswith(argument) for one in _values(value))
    return any(type(one) is type(leaf) and one == leaf for one in _values(value))


def _values(value: Any) -> list[Any]:
    """The values a pattern's array is matched against: each item of an array, or the value itself."""
    if value is _ABSENT:
        return []
    return list(value) if isinstance(value, list) else [value]


# -- what a target receives -----------------------------------------------------------------------------------


def json_path(text: str) -> Path | None:
    """`$`, `$.a.b`, `$.a[0]` as steps (keys and indices); None for a path this emulator does not model."""
    if not text.startswith("$"):
        return None
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None:
            return None
        steps.append(step.group(1) if step.group(1) is not None else int(step.group(2)))
        position = step.end()
    return tuple(steps)


def resolve(value: Any, path: Path) -> Any:
    """The value at `path`, or _ABSENT."""
    for step in path:
        found = isinstance(value, list) and isinstance(step, int) and step < len(value)
        if not (found or (isinstance(value, Mapping) and isinstance(step, str) and step in value)):
            return _ABSENT
        value = value[step]
    return value


def input_problem(target: Mapping[str, Any]) -> str | None:
    """Why a target's input cannot be used (its Input is not JSON, a path is not modelled), or None."""
    text = target.get("Input")
    if text is not None:
        try:
            json.loads(text)
        except ValueError:
            return "Input is not valid JSON"
    paths = [target["InputPath"]] if target.get("InputPath") is not None else []
    transformer = target.get("InputTransformer") or {}
    paths += list((transformer.get("InputPathsMap") or {}).values())
    for path in paths:
        if json_path(path) is None:
            return f"the JSON path {path!r} is not modelled by the emulator ($, dot notation, array indices)"
    return None


def as_sent(target: Mapping[str, Any], event: Mapping[str, Any], rule_name: str, rule_arn: str, ingested: str) -> Any:
    """What `target` receives for `event`: its Input, InputPath or InputTransformer applied (checked by
    `input_problem` when the target was put)."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath") is not None:
        found = resolve(event, json_path(target["InputPath"]) or ())
        return None if found is _ABSENT else found
    transformer = target.get("InputTransformer")
    if transformer is None:
        return dict(event)
    variables: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingested,
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": dict(event),
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        variables[name] = resolve(event, json_path(path) or ())
    return fill(transformer["InputTemplate"], variables)


def fill(template: str, variables: Mapping[str, Any]) -> Any:
    """An InputTemplate with its <variables> put in (see the module for inside and outside quotes)."""
    parts: list[str] = []
    inside = False
    position = 0
    while position < len(template):
        char = template[position]
        if inside and char == "\\":
            parts.append(template[position : position + 2])
            position += 2
            continue
        placeholder = _PLACEHOLDER.match(template, position)
        if placeholder is not None and placeholder.group(1) in variables:
            parts.append(_rendered(variables[placeholder.group(1)], inside))
            position = placeholder.end()
            continue
        if char == '"':
            inside = not inside
        parts.append(char)
        position += 1
    text = "".join(parts)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _rendered(value: Any, inside: bool) -> str:
    if value is _ABSENT:
        return "" if inside else "null"
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text)[1:-1] if inside else text
