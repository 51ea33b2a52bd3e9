"""IMAP response parsing for the imap source: FETCH responses as nested values, attachments
from BODYSTRUCTURE, INTERNALDATE, and incremental content-transfer decoders."""

from __future__ import annotations

import binascii
import email
import email.policy
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Value = bytes | None | list[Any]
_TOKEN = re.compile(rb'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|~?\{(\d+)\+?\}$|([^\s()"{]+))',
                    re.DOTALL)
_UNESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_WHITESPACE = b" \t\r\n"


class ParseFailure(ValueError):
    """An IMAP response we cannot read."""


def _tokens(data: list[Any]) -> list[Any]:
    """Tokens of an imaplib response list: "(", ")", bytes (atoms, strings, literals), None."""
    out: list[Any] = []
    for element in data:
        if element is None:
            continue
        if isinstance(element, tuple):
            head, literal = element[0], element[1]
            _tokenize(head, out, literal)
        else:
            _tokenize(element, out, None)
    return out


def _tokenize(text: bytes, out: list[Any], literal: bytes | None) -> None:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position:].strip() == b"":
                return
            raise ParseFailure(f"unexpected response text at {text[position:position + 20]!r}")
        position = match.end()
        opened, closed, quoted, size, atom = match.groups()
        if opened:
            out.append("(")
        elif closed:
            out.append(")")
        elif quoted is not None:
            out.append(_UNESCAPE.sub(rb"\1", quoted))
        elif size is not None:
            if literal is None:
                raise ParseFailure("a literal without its data")
            out.append(literal)
        elif atom is not None:
            out.append(None if atom.upper() == b"NIL" else atom)


def _nest(tokens: list[Any]) -> list[Any]:
    """Nested lists from tokens."""
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise ParseFailure("unbalanced parentheses")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ParseFailure("unbalanced parentheses")
    return stack[0]


def fetch_items(data: list[Any]) -> list[dict[str, Any]]:
    """Each message of a FETCH response as {ITEM NAME: value} (names upper-case)."""
    values = _nest(_tokens(data))
    messages: list[dict[str, Any]] = []
    for index in range(0, len(values) - 1):
        items = values[index + 1]
        if isinstance(values[index], bytes) and values[index].isdigit() and \
                isinstance(items, list):
            pairs = zip(items[::2], items[1::2], strict=False)
            messages.append({_text(k).upper(): v for k, v in pairs if isinstance(k, bytes)})
    return messages


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


@dataclass(frozen=True)
class Part:
    """One attachment of a message: its IMAP section, file name and transfer encoding."""

    section: str
    filename: str
    encoding: str
    encoded_size: int


def _params(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return []
    return [(_text(k).lower(), _text(v)) for k, v in zip(value[::2], value[1::2], strict=False)]


def _filename(disposition: str, params: list[tuple[str, str]], key: str) -> str | None:
    """The decoded file name (RFC 2231 and encoded words) among ``params`` under ``key``."""
    chosen = [(k, v) for k, v in params if k == key or k.startswith(f"{key}*")]
    if not chosen:
        return None
    rendered = []
    for k, v in chosen:
        if k.endswith("*"):
            rendered.append(f"{k}={v}")
        else:
            rendered.append(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), "")}"')
    header = f"Content-Disposition: {disposition}; " + "; ".join(
        r.replace(f"{key}", "filename", 1) for r in rendered)
    message = email.message_from_string(header + "\n\n", policy=email.policy.default)
    name = message.get_filename()
    return str(name) if name else None


def attachments(body: Any, section: str = "") -> list[Part]:
    """The attachments in a BODYSTRUCTURE: parts with disposition ``attachment``, or with a
    file name and no disposition; inline parts (signature logos) are not attachments."""
    if not isinstance(body, list) or not body:
        return []
    if isinstance(body[0], list):  # multipart: children, then the subtype
        found: list[Part] = []
        children = list(itertools.takewhile(lambda child: isinstance(child, list), body))
        for number, child in enumerate(children, start=1):
            found += attachments(child, f"{section}.{number}" if section else str(number))
        return found
    kind = (_text(body[0]).lower(), _text(body[1]).lower()) if len(body) > 1 else ("", "")
    extension = 7 + (1 if kind[0] == "text" else 3 if kind == ("message", "rfc822") else 0)
    disposition = body[extension + 1] if len(body) > extension + 1 else None
    dsp_type = ""
    name = None
    if isinstance(disposition, list) and disposition:
        dsp_type = _text(disposition[0]).lower()
        if len(disposition) > 1:
            name = _filename(dsp_type or "attachment", _params(disposition[1]), "filename")
    if dsp_type not in ("", "attachment"):
        return []
    if name is None:
        name = _filename("attachment", _params(body[2] if len(body) > 2 else None), "name")
    if name is None:
        return []
    try:
        size = int(_text(body[6]))
    except (IndexError, ValueError):
        size = 0
    encoding = _text(body[5]).lower() if len(body) > 5 else "7bit"
    return [Part(section or "1", name, encoding or "7bit", size)]


def internal_date(value: Any) -> float:
    """Seconds since the epoch of an INTERNALDATE ("17-Jul-1996 02:44:25 -0700")."""
    try:
        return datetime.strptime(_text(value), "%d-%b-%Y %H:%M:%S %z").timestamp()
    except ValueError as exc:
        raise ParseFailure(f"unreadable INTERNALDATE {_text(value)[:40]!r}") from exc


class Decoder:
    """Incremental content-transfer decoding: base64, quoted-printable, or as is."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.lower()
        self._buffer = b""

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes available after ``data``; the rest waits for more."""
        if self.encoding == "base64":
            self._buffer += data.translate(None, _WHITESPACE)
            cut = len(self._buffer) - len(self._buffer) % 4
            ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
            return self._b64(ready)
        if self.encoding == "quoted-printable":
            self._buffer += data
            cut = self._buffer.rfind(b"\n") + 1
            ready, self._buffer = self._buffer[:cut], self._buffer[cut:]
            return binascii.a2b_qp(ready) if ready else b""
        return data

    def flush(self) -> bytes:
        """Whatever is left at the end."""
        rest, self._buffer = self._buffer, b""
        if self.encoding == "base64":
            return self._b64(rest + b"=" * (-len(rest) % 4)) if rest.strip(b"=") else b""
        if self.encoding == "quoted-printable":
            return binascii.a2b_qp(rest) if rest else b""
        return rest

    @staticmethod
    def _b64(data: bytes) -> bytes:
        try:
            return binascii.a2b_base64(data) if data else b""
        except binascii.Error as exc:
            raise ParseFailure("the attachment's base64 is damaged") from exc
