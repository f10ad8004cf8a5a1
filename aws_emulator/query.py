"""The AWS query protocol, as far as a backend needs it: a form-encoded request read into params, an answer written
as XML, both driven by the operation's botocore shapes.

CloudFormation speaks it (botocore's `cloudformation` model: protocol "query", xmlNamespace
http://cloudformation.amazonaws.com/doc/2010-05-15/). A request is a POST of `Action=<Operation>&Version=<apiVersion>`
and the input members, a nested member named `Outer.Inner`, a list `Name.member.N` (N from 1; a flattened list
`Name.N`; an empty list `Name=`), a map `Name.entry.N.key` / `.value`: what botocore's QuerySerializer writes. The
answer is `<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata><RequestId>` (the output shape's
resultWrapper), lists as `<member>` elements, timestamps ISO 8601; an error is `<ErrorResponse><Error><Type>Sender
</Type><Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`: what botocore's
QueryParser reads (the API Reference's sample requests and responses, e.g.
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html).
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

CONTENT_TYPE = "text/xml"
_MISSING: Any = object()


def form_fields(body: bytes) -> dict[str, str]:
    """The fields of a form-encoded body (a repeated field: the last one)."""
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def read_params(fields: Mapping[str, str], shape: StructureShape | None) -> dict[str, Any]:
    """The request's params by the input shape; a value that does not parse is kept as sent, for validation to
    report in the service's words. Fields the shape does not name (Action, Version) are left out."""
    if shape is None:
        return {}
    found = _read(fields, shape, "")
    return {} if found is _MISSING else dict(found)


def _name(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("name", default))


def _read(fields: Mapping[str, str], shape: Shape, prefix: str) -> Any:
    if isinstance(shape, StructureShape):
        found = {}
        for member, member_shape in shape.members.items():
            key = _name(member_shape, member)
            value = _read(fields, member_shape, f"{prefix}.{key}" if prefix else key)
            if value is not _MISSING:
                found[member] = value
        return found if found or not prefix else _MISSING
    if isinstance(shape, ListShape):
        if fields.get(prefix) == "":
            return []
        if shape.serialization.get("flattened"):
            base = prefix
            if shape.member.serialization.get("name"):
                base = ".".join([*prefix.split(".")[:-1], _name(shape.member, "")])
        else:
            base = f"{prefix}.{_name(shape.member, 'member')}"
        items: list[Any] = []
        while (item := _read(fields, shape.member, f"{base}.{len(items) + 1}")) is not _MISSING:
            items.append(item)
        return items or _MISSING
    if isinstance(shape, MapShape):
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name, value_name = _name(shape.key, "key"), _name(shape.value, "value")
        entries: dict[Any, Any] = {}
        while (key := _read(fields, shape.key, f"{base}.{len(entries) + 1}.{key_name}")) is not _MISSING:
            entries[key] = _read(fields, shape.value, f"{base}.{len(entries) + 1}.{value_name}")
        return entries or _MISSING
    if prefix not in fields:
        return _MISSING
    return _scalar(fields[prefix], shape.type_name)


def _scalar(text: str, kind: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "blob":
            return base64.b64decode(text, validate=True)
    except ValueError:
        pass
    return text


def result_xml(operation: OperationModel, result: Mapping[str, Any], request_id: str) -> bytes:
    """The XML answer to `operation` carrying `result` (a document of its output shape)."""
    namespace = str(operation.metadata.get("xmlNamespace", ""))
    root = ElementTree.Element(f"{operation.name}Response", {"xmlns": namespace} if namespace else {})
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper")
        holder = ElementTree.SubElement(root, wrapper) if wrapper else root
        _write_members(holder, result, shape)
    metadata = ElementTree.SubElement(root, "ResponseMetadata")
    ElementTree.SubElement(metadata, "RequestId").text = request_id
    return _bytes(root)


def error_xml(code: str, message: str, status: int, request_id: str, namespace: str = "") -> bytes:
    """An error answer; Type is Sender for a client error, Receiver for the service's own."""
    root = ElementTree.Element("ErrorResponse", {"xmlns": namespace} if namespace else {})
    error = ElementTree.SubElement(root, "Error")
    ElementTree.SubElement(error, "Type").text = "Sender" if status < 500 else "Receiver"
    ElementTree.SubElement(error, "Code").text = code
    ElementTree.SubElement(error, "Message").text = message
    ElementTree.SubElement(root, "RequestId").text = request_id
    return _bytes(root)


def _bytes(root: ElementTree.Element) -> bytes:
    text: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def _write_members(parent: ElementTree.Element, value: Mapping[str, Any], shape: StructureShape) -> None:
    for member, item in value.items():
        member_shape = shape.members[member]
        _write(parent, _name(member_shape, member), item, member_shape)


def _write(parent: ElementTree.Element, name: str, value: Any, shape: Shape) -> None:
    if isinstance(shape, ListShape):
        if shape.serialization.get("flattened"):
            for item in value:
                _write(parent, _name(shape.member, name), item, shape.member)
            return
        holder = ElementTree.SubElement(parent, name)
        for item in value:
            _write(holder, _name(shape.member, "member"), item, shape.member)
        return
    if isinstance(shape, MapShape):
        holder = parent if shape.serialization.get("flattened") else ElementTree.SubElement(parent, name)
        for key, item in value.items():
            entry = ElementTree.SubElement(holder, name if holder is parent else "entry")
            _write(entry, _name(shape.key, "key"), key, shape.key)
            _write(entry, _name(shape.value, "value"), item, shape.value)
        return
    element = ElementTree.SubElement(parent, name)
    if isinstance(shape, StructureShape):
        _write_members(element, value, shape)
    elif shape.type_name == "boolean":
        element.text = "true" if value else "false"
    elif shape.type_name == "timestamp":
        element.text = iso8601(value)
    elif shape.type_name == "blob":
        element.text = base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
    else:
        element.text = str(value)


def iso8601(value: Any) -> str:
    """A timestamp as the query protocol writes it: epoch seconds, a datetime, or text already in that form."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    else:
        moment = datetime.datetime.fromtimestamp(float(value), datetime.UTC)
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
