"""Read ``pvt.yaml`` into plain data, keeping the line of every key and expanding ``${NAME}``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pvt_dagster.errors import ConfigIssue

KeyPath = tuple[str | int, ...]
_STR_TAG = "tag:yaml.org,2002:str"
# ``${NAME}``, ``${NAME:-default}``; ``$${...}`` is a literal ``${...}``; an unclosed ``${`` is bad.
_REF = re.compile(r"\$(\$?)\{([^}]*)(\}?)")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)*([^\s#:'\"][^:#]*?|'[^']*'|\"[^\"]*\")\s*:(\s|$)")


def dotted(path: KeyPath) -> str:
    """A key path as text: ``clients.acme.feeds.members.deliver[0].kind``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class SourceMap:
    """Where each key of a config file is: key path -> 1-based line."""

    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int:
        """The line of ``path``, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1

    def issue(self, path: KeyPath, message: str) -> ConfigIssue:
        """A ConfigIssue about ``path`` with its file and line."""
        return ConfigIssue(file=self.file, line=self.line(path), key=dotted(path), message=message)


def expand_env(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with ``${NAME}`` / ``${NAME:-default}`` expanded, and problems (never values)."""
    problems: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        escaped, body, closed = match.groups()
        if escaped:
            return "${" + body + closed
        if not closed:
            problems.append("unclosed ${ (write $${ for a literal ${)")
            return ""
        name, sep, default = body.partition(":-")
        if not _ENV_NAME.match(name):
            problems.append(
                f"${{{body}}} is not a variable reference (${{NAME}} or ${{NAME:-default}})"
            )
            return ""
        value = environ.get(name)
        if value:
            return value
        if sep:
            return default
        if value is None:
            problems.append(
                f"environment variable {name} is not set (or write ${{{name}:-default}})"
            )
        return ""

    return _REF.sub(substitute, text), problems


class _Reader:
    """Turns a composed YAML node tree into dicts, lists and scalars, recording lines."""

    def __init__(self, loader: yaml.SafeLoader, smap: SourceMap, environ: Mapping[str, str]):
        self.loader = loader
        self.smap = smap
        self.environ = environ
        self.issues: list[ConfigIssue] = []
        self._stack: set[int] = set()

    def read(self, node: Node, path: KeyPath) -> Any:
        if id(node) in self._stack:
            self.issues.append(self.smap.issue(path, "an alias refers to itself"))
            return None
        self._stack.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            assert isinstance(node, ScalarNode)
            return self._scalar(node, path)
        finally:
            self._stack.discard(id(node))

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        self.loader.flatten_mapping(node)  # ``<<: *anchor`` merges
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.issues.append(ConfigIssue(self.smap.file, line, dotted(path),
                                               "a key must be a plain name, not a list or mapping"))
                continue
            key = str(key_node.value)  # keys stay text: ``on:`` or ``1:`` are names, not values
            if key in result:
                self.issues.append(ConfigIssue(self.smap.file, line, dotted((*path, key)),
                                               f"duplicate key '{key}'"))
            self.smap.lines[(*path, key)] = line
            result[key] = self.read(value_node, (*path, key))
        return result

    def _sequence(self, node: SequenceNode, path: KeyPath) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.smap.lines[(*path, index)] = item.start_mark.line + 1
            items.append(self.read(item, (*path, index)))
        return items

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str) and node.tag == _STR_TAG and "${" in value:
            value, problems = expand_env(value, self.environ)
            line = node.start_mark.line + 1
            self.issues.extend(ConfigIssue(self.smap.file, line, dotted(path), p) for p in problems)
        return value


def _guess_key(lines: list[str], index: int) -> str:
    """Best-effort key path of line ``index`` (0-based) from indentation, for syntax errors."""
    keys: list[str] = []
    indent: int | None = None
    for number in range(min(index, len(lines) - 1), -1, -1):
        match = _KEY_LINE.match(lines[number])
        if not match:
            continue
        width = len(match.group(1)) + lines[number][len(match.group(1)):].count("- ") * 2
        if indent is None or width < indent:
            keys.append(match.group(2).strip("'\""))
            indent = width
            if width == 0:
                break
    return ".".join(reversed(keys))


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    if problem.startswith("expected <block end>") or problem.startswith("expected <block"):
        return "bad indentation: this line does not line up with the keys above it"
    if problem == "mapping values are not allowed here":
        return "unexpected ':' here (bad indentation, or a value containing ': ' needs quotes)"
    if "'\\t'" in problem:
        return "tab character: indent with spaces"
    if problem.startswith("found unexpected end of stream") and context_line:
        return f"unexpected end of file ({exc.context} opened on line {context_line})"
    if exc.context and context_line:
        return f"YAML syntax error: {problem} ({exc.context} on line {context_line})"
    return f"YAML syntax error: {problem}"


def read_yaml(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[Any, SourceMap, list[ConfigIssue]]:
    """Parse a config file: its data, where each key is, and problems found (syntax, ${NAME})."""
    smap = SourceMap(file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, smap, [ConfigIssue(str(path), None, "", "not a UTF-8 text file")]
    except OSError as exc:
        return None, smap, [ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror}")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        key = _guess_key(text.splitlines(), line - 1) if line else ""
        return None, smap, [ConfigIssue(str(path), line, key, _syntax_message(exc))]
    except yaml.YAMLError as exc:
        return None, smap, [ConfigIssue(str(path), None, "", f"YAML error: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        message = "the file is empty: expected a mapping with keys such as home: and clients:"
        return None, smap, [ConfigIssue(str(path), 1, "", message)]
    if not isinstance(node, MappingNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a single value"
        message = (f"the top level is {kind}: "
                   "expected a mapping with keys such as home: and clients:")
        return None, smap, [ConfigIssue(str(path), node.start_mark.line + 1, "", message)]
    smap.lines[()] = node.start_mark.line + 1
    reader = _Reader(loader, smap, os.environ if environ is None else environ)
    try:
        data = reader.read(node, ())
    except yaml.MarkedYAMLError as exc:  # a bad value such as a malformed !!timestamp
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return None, smap, [ConfigIssue(str(path), line, "", _syntax_message(exc))]
    return data, smap, reader.issues


def lines_for(config_path: str | Path) -> SourceMap:
    """The key path -> line map of a config file (empty if it cannot be parsed)."""
    _data, smap, _issues = read_yaml(Path(config_path).absolute(), environ={})
    return smap
