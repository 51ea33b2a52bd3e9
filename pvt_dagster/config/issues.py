"""Translate pydantic validation errors into readable, line-numbered ConfigIssue items."""

from __future__ import annotations

import difflib
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from pvt_dagster.config.yamlsource import KeyPath, SourceMap
from pvt_dagster.errors import ConfigIssue

_TYPE_WORDS = {"str", "int", "float", "bool", "none", "dict", "list", "path"}
_DESCRIBE = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "bool_type": "true or false", "bool_parsing": "true or false", "float_type": "a number",
    "float_parsing": "a number", "list_type": "a list", "dict_type": "a mapping",
    "path_type": "a path", "none_required": "null",
}
SECRET_REF = "{env: NAME} or {file: PATH}"
SECRET_NOTE = " (secrets are never written in pvt.yaml)"


@dataclass
class _Entry:
    """One pydantic error placed in the YAML tree."""

    path: KeyPath  # where it is in the file (union tags removed)
    union_at: int | None  # length of ``path`` where a non-discriminated union member was named
    member: str  # the union member's label, if any
    error: Any  # pydantic's ErrorDetails


def _is_tag(segment: Any, node: Any) -> bool:
    """Whether a loc segment names a union member rather than a key of ``node``."""
    if not isinstance(segment, str) or (isinstance(node, dict) and segment in node):
        return False
    return ("[" in segment or "(" in segment or segment[:1].isupper()
            or segment.lower() in _TYPE_WORDS)


def _has(node: Any, segment: Any) -> bool:
    """Whether ``segment`` is a key of a mapping node or an index of a list node."""
    if isinstance(node, dict):
        return segment in node
    return isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)


def _place(loc: tuple[Any, ...], raw: Any) -> tuple[KeyPath, int | None, str]:
    """Walk ``loc`` through the raw data: the YAML key path and any union member it names."""
    node = raw
    path: list[str | int] = []
    union_at: int | None = None
    member = ""
    tag_done = False  # a discriminated member's tag comes first, even if a key has its name
    for segment in loc:
        if segment == "[key]":
            continue
        if isinstance(node, dict) and not tag_done and segment == node.get("kind"):
            tag_done = True
            continue
        tag_done = False
        if _has(node, segment):
            path.append(segment)
            node = node[segment]
        elif _is_tag(segment, node):
            if union_at is None:
                union_at, member = len(path), str(segment)
        elif isinstance(node, dict) and len(node) == 1 and isinstance(
            next(iter(node.values())), dict
        ) and segment in next(iter(node.values())):
            # ``{pad_left: {width: 0}}`` is validated as its options: step into the wrapper.
            (key, node), = node.items()
            path.append(key)
            path.append(segment)
            node = node[segment]
        else:
            path.append(segment)
            node = None
    return tuple(path), union_at, member


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Annotated, Optional and unions."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _unwrap(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [t for arg in get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _step(types_: list[Any], segment: Any) -> list[Any]:
    """The types reached from ``types_`` by one loc segment."""
    found: list[Any] = []
    for tp in types_:
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            for name, info in tp.model_fields.items():
                if segment in (name, info.alias):
                    found += _unwrap(info.annotation)
            kind = tp.model_fields.get("kind")
            if segment == tp.__name__ or (kind and segment in get_args(kind.annotation)):
                found.append(tp)
        elif origin is dict and isinstance(segment, str):
            found += _unwrap(get_args(tp)[1])
        elif origin is list and isinstance(segment, int):
            found += _unwrap(get_args(tp)[0])
    return found


def _known_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> set[str]:
    """Field names (and aliases) of the model at ``loc``, for 'did you mean'."""
    types_: list[Any] = [root]
    for segment in loc:
        types_ = _step(types_, segment) or types_
    keys: set[str] = set()
    for tp in types_:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            keys |= {info.alias or name for name, info in tp.model_fields.items()}
    return keys


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "model_type":
        name = (error.get("ctx") or {}).get("class_name", "")
        return SECRET_REF if name == "SecretRef" else "a mapping"
    if kind == "literal_error":
        return str(error["ctx"]["expected"])
    message: str = error["msg"]
    return _DESCRIBE.get(kind, message.removeprefix("Input should be "))


def _must_be(wanted: list[str]) -> str:
    """``must be a, b or c``, with a note when a secret reference is one of them."""
    wanted = sorted(dict.fromkeys(wanted), key=lambda w: w == SECRET_REF)  # the long one last
    text = wanted[-1] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
    return "must be " + text + (SECRET_NOTE if SECRET_REF in wanted else "")


def raw_reference_issues(raw: Any, smap: SourceMap) -> list[ConfigIssue]:
    """Feeds naming an undeclared source, found in the raw data (pydantic skips this check
    when a client has other errors)."""
    issues: list[ConfigIssue] = []
    clients = raw.get("clients") if isinstance(raw, dict) else None
    for client, body in (clients.items() if isinstance(clients, dict) else []):
        if not isinstance(body, dict) or not isinstance(body.get("feeds"), dict):
            continue
        sources = body.get("sources")
        sources = sources if isinstance(sources, dict) else {}
        for feed, feed_body in body["feeds"].items():
            source = feed_body.get("source") if isinstance(feed_body, dict) else None
            if isinstance(source, str) and source not in sources:
                issues.append(smap.issue(("clients", client, "feeds", feed, "source"),
                                         _undeclared(source)))
    return issues


def _undeclared(source: str) -> str:
    return f"source '{source}' is not declared in this client"


def _suggest(error: Any, path: KeyPath, root: type[BaseModel]) -> str | None:
    """The known key an unknown key is probably a misspelling of."""
    known = _known_keys(root, tuple(error["loc"][:-1]))
    close = difflib.get_close_matches(str(path[-1]), sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _message(error: Any, path: KeyPath, root: type[BaseModel]) -> str:
    kind = error["type"]
    msg: str = error["msg"]
    if kind == "missing":
        return f"field required: {path[-1]}"
    if kind == "extra_forbidden":
        close = _suggest(error, path, root)
        return f"unknown key '{path[-1]}'" + (f" (did you mean '{close}'?)" if close else "")
    if kind == "union_tag_invalid":
        expected = str(error["ctx"]["expected_tags"]).replace("'", "")
        return f"unknown kind '{error['ctx']['tag']}' (expected one of: {expected})"
    if kind == "union_tag_not_found":
        return "field required: kind"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _must_be([_describe(error)])
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = re.sub(r", (unable to|got) .*$", "", msg)
    return re.sub(r"^Input should be ", "must be ", msg)


def validation_issues(
    exc: ValidationError, raw: Any, smap: SourceMap, root: type[BaseModel]
) -> list[ConfigIssue]:
    """Every error of ``exc`` as a ConfigIssue with file, line, dotted key and a human message."""
    entries = []
    for error in exc.errors(include_url=False, include_input=False):
        path, union_at, member = _place(tuple(error["loc"]), raw)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "kind")
        entries.append(_Entry(path, union_at, member, error))
    # ``patern:`` is reported as unknown (did you mean 'pattern'?); not also as pattern missing.
    misspelt = {(*e.path[:-1], _suggest(e.error, e.path, root)) for e in entries
                if e.error["type"] == "extra_forbidden"}
    entries = [e for e in entries if e.error["type"] != "missing" or e.path not in misspelt]
    issues: list[ConfigIssue] = []
    for entry in _pick_union_members(entries, smap, issues):
        if entry.error["type"] == "client_references":
            for path, message in entry.error["ctx"]["issues"]:
                issues.append(smap.issue((*entry.path, *path), message))
            continue
        issues.append(smap.issue(entry.path, _message(entry.error, entry.path, root)))
    unique = list(dict.fromkeys([*issues, *raw_reference_issues(raw, smap)]))
    return sorted(unique, key=lambda i: (i.line or 0, i.key))


def _pick_union_members(
    entries: list[_Entry], smap: SourceMap, issues: list[ConfigIssue]
) -> list[_Entry]:
    """Keep the errors of the union member the value was meant for, or say which types fit."""
    groups: dict[KeyPath, dict[str, list[_Entry]]] = {}
    kept: list[_Entry] = []
    for entry in entries:
        if entry.union_at is None:
            kept.append(entry)
        else:
            base = entry.path[: entry.union_at]
            groups.setdefault(base, {}).setdefault(entry.member, []).append(entry)
    for base, members in groups.items():
        deep = {m: es for m, es in members.items()
                if any(e.path != base or e.error["type"] not in _TOP_LEVEL for e in es)}
        if deep:
            kept += deep[min(deep, key=lambda member: len(deep[member]))]
            continue
        if base and base[-1] == "values":
            message = "must be a list of values, a built-in list name or {file: PATH}"
        else:
            message = _must_be([_describe(es[0].error) for es in members.values()])
        issues.append(smap.issue(base, message))
    return kept


_TOP_LEVEL = frozenset({"model_type", "model_attributes_type", "literal_error", *_DESCRIBE})
