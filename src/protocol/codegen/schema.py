"""Parser for Gregor's protocol schema files (src/protocol/schema/*.gs).

A schema file is a list of messages; lines starting with `#` are comments. Each message line opens a block; indented lines under it are
its fields, nested two spaces per level. Grammar (see docs/protocol-schema.md):

    message <Name> kind=<request|response|header|data|metadata|coordinator-key|coordinator-value>
            [key=<n>] v=<range> flex=<range> [listeners=a,b] [unstable-latest]
      struct <Name> v=<range>                 # a struct shared by several fields of the message
        <Field> <type> v=<range> ...
      <Field> <type> v=<range> [null=<range>] [tag=<n> tagv=<range>] [default=<value>]
                     [flex=<range>] [ignorable]

A range is `N`, `N-M`, `N+` or `none`. Types: bool int8 int16 int32 int64 uint16 uint32 float64
string bytes records uuid, a struct name, or `[]` before any of them for an array.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Optional

PRIMITIVES = {
    "bool", "int8", "int16", "int32", "int64", "uint16", "uint32", "float64",
    "string", "bytes", "records", "uuid",
}
MAX_VERSION = 0x7FFF


@dataclasses.dataclass(frozen=True)
class Versions:
    """An inclusive version range; empty when lo > hi."""

    lo: int
    hi: int

    @staticmethod
    def parse(text: str) -> "Versions":
        text = text.strip()
        if text == "none":
            return Versions(1, 0)
        if text.endswith("+"):
            return Versions(int(text[:-1]), MAX_VERSION)
        if "-" in text:
            a, b = text.split("-", 1)
            return Versions(int(a), int(b))
        return Versions(int(text), int(text))

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def intersect(self, other: "Versions") -> "Versions":
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def __str__(self) -> str:
        if self.empty:
            return "none"
        if self.hi == MAX_VERSION:
            return f"{self.lo}+"
        if self.lo == self.hi:
            return str(self.lo)
        return f"{self.lo}-{self.hi}"


NO_VERSIONS = Versions(1, 0)


@dataclasses.dataclass
class Field:
    name: str
    type: str  # as written, e.g. "[]TopicData" or "int32"
    versions: Versions
    nullable: Versions = NO_VERSIONS
    tag: Optional[int] = None
    tagged: Versions = NO_VERSIONS
    default: Optional[str] = None
    flexible: Optional[Versions] = None  # overrides the message's flexible versions (header quirk)
    ignorable: bool = False
    fields: list["Field"] = dataclasses.field(default_factory=list)

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def element(self) -> str:
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self) -> bool:
        return self.element not in PRIMITIVES


@dataclasses.dataclass
class Struct:
    name: str
    versions: Versions
    fields: list[Field]


@dataclasses.dataclass
class Message:
    name: str
    kind: str
    key: Optional[int]
    versions: Versions
    flexible: Versions
    listeners: list[str]
    unstable_latest: bool
    fields: list[Field]
    structs: list[Struct]  # the shared ("common") structs
    source: str


class SchemaError(Exception):
    pass


def _attrs(tokens: list[str], where: str) -> dict[str, Optional[str]]:
    out: dict[str, Optional[str]] = {}
    for tok in tokens:
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
        else:
            out[tok] = None
    return out


def _field(tokens: list[str], where: str) -> Field:
    if len(tokens) < 3:
        raise SchemaError(f"{where}: a field needs a name, a type and v=")
    name, typ = tokens[0], tokens[1]
    a = _attrs(tokens[2:], where)
    known = {"v", "null", "tag", "tagv", "default", "flex", "ignorable"}
    unknown = set(a) - known
    if unknown:
        raise SchemaError(f"{where}: unknown attributes {sorted(unknown)}")
    if "v" not in a:
        raise SchemaError(f"{where}: field {name} has no v=")
    f = Field(name=name, type=typ, versions=Versions.parse(a["v"] or ""))
    if "null" in a:
        f.nullable = Versions.parse(a["null"] or "")
    if "tag" in a:
        f.tag = int(a["tag"] or "")
        f.tagged = Versions.parse(a.get("tagv") or "")
    if "default" in a:
        f.default = a["default"]
    if "flex" in a:
        f.flexible = Versions.parse(a["flex"] or "")
    f.ignorable = "ignorable" in a
    return f


def parse_text(text: str, source: str) -> list[Message]:
    messages: list[Message] = []
    # stack of (indent, list-to-append-to) for nesting
    stack: list[tuple[int, list]] = []
    current: Optional[Message] = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if line.lstrip().startswith("#"):
            continue
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2:
            raise SchemaError(f"{where}: indentation must be a multiple of two spaces")
        try:
            tokens = shlex.split(line)
        except ValueError as e:
            raise SchemaError(f"{where}: {e}") from e
        if indent == 0:
            if tokens[0] != "message" or len(tokens) < 2:
                raise SchemaError(f"{where}: expected 'message <Name> ...'")
            a = _attrs(tokens[2:], where)
            current = Message(
                name=tokens[1], kind=a.get("kind") or "", key=int(a["key"]) if a.get("key") else None,
                versions=Versions.parse(a.get("v") or ""), flexible=Versions.parse(a.get("flex") or "none"),
                listeners=(a.get("listeners") or "").split(",") if a.get("listeners") else [],
                unstable_latest="unstable-latest" in a, fields=[], structs=[], source=source)
            messages.append(current)
            stack = [(0, current.fields)]
            continue
        if current is None:
            raise SchemaError(f"{where}: field outside a message")
        level = indent // 2
        while stack and stack[-1][0] >= level:
            stack.pop()
        if not stack or stack[-1][0] != level - 1:
            raise SchemaError(f"{where}: unexpected indentation")
        if tokens[0] == "struct":
            if level != 1:
                raise SchemaError(f"{where}: a shared struct must sit directly under its message")
            a = _attrs(tokens[2:], where)
            st = Struct(name=tokens[1], versions=Versions.parse(a.get("v") or "0+"), fields=[])
            current.structs.append(st)
            stack.append((level, st.fields))
            continue
        f = _field(tokens, where)
        stack[-1][1].append(f)
        stack.append((level, f.fields))
    for m in messages:
        _check(m)
    return messages


def _check(m: Message) -> None:
    shared = {s.name for s in m.structs}

    def walk(fields: list[Field], path: str) -> None:
        names = set()
        tags = set()
        for f in fields:
            if f.name in names:
                raise SchemaError(f"{m.source}: {path}.{f.name} defined twice")
            names.add(f.name)
            if f.tag is not None:
                if f.tag in tags:
                    raise SchemaError(f"{m.source}: {path} reuses tag {f.tag}")
                tags.add(f.tag)
            if f.is_struct and not f.fields and f.element not in shared:
                raise SchemaError(f"{m.source}: {path}.{f.name} names unknown struct {f.element}")
            if f.fields and not f.is_struct:
                raise SchemaError(f"{m.source}: {path}.{f.name} is {f.type} but has fields")
            walk(f.fields, f"{path}.{f.name}")

    walk(m.fields, m.name)
    for s in m.structs:
        walk(s.fields, f"{m.name}.{s.name}")


def parse_file(path: str) -> list[Message]:
    with open(path, encoding="utf-8") as fh:
        return parse_text(fh.read(), path)
