#!/usr/bin/env python3
"""Generates C++ codecs from Gregor's protocol schema files (Python 3 standard library only).

For each schema file <family>.gs it writes
  include/gregor/protocol/messages/<family>.h  the structs,
  src/<family>.cc                              read/write for every version,
  test/<family>_fill.cc                        value generators and round-trip checks (tests only),
and once: src/api_registry.cc (the API table) and test/roundtrip_table.cc.

Usage: generate.py --out DIR schema1.gs schema2.gs ...
"""

from __future__ import annotations

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema as S  # noqa: E402

CPP_KEYWORDS = {
    "default", "delete", "new", "operator", "class", "template", "namespace", "register", "private",
    "public", "protected", "this", "union", "bool", "int", "long", "short", "char", "return",
    "switch", "case", "struct", "virtual", "auto", "const", "explicit", "friend", "inline",
}

SCALARS = {
    "bool": ("bool", 1), "int8": ("int8_t", 1), "int16": ("int16_t", 2), "int32": ("int32_t", 4),
    "int64": ("int64_t", 8), "uint16": ("uint16_t", 2), "uint32": ("uint32_t", 4),
    "float64": ("double", 8), "uuid": ("Uuid", 16),
}


def snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return s + "_" if s in CPP_KEYWORDS else s


def vcond(vs: S.Versions, var: str = "v") -> str:
    """A C++ condition that is true when `var` lies in vs."""
    if vs.empty:
        return "false"
    if vs.lo == 0 and vs.hi == S.MAX_VERSION:
        return "true"
    if vs.hi == S.MAX_VERSION:
        return f"{var} >= {vs.lo}"
    if vs.lo == 0:
        return f"{var} <= {vs.hi}"
    if vs.lo == vs.hi:
        return f"{var} == {vs.lo}"
    return f"({var} >= {vs.lo} && {var} <= {vs.hi})"


class Ctx:
    """What the code for one message needs to know while walking its fields."""

    def __init__(self, msg: S.Message):
        self.msg = msg
        self.shared = {s.name: s for s in msg.structs}


def nullable_any(f: S.Field) -> bool:
    return not f.nullable.empty


def cpp_element_type(f: S.Field) -> str:
    e = f.element
    if e in SCALARS:
        return SCALARS[e][0]
    if e == "string":
        return "std::string"
    if e == "bytes":
        return "std::vector<uint8_t>"
    if e == "records":
        return "RecordsRef"
    return e


def cpp_type(f: S.Field) -> str:
    if f.is_array:
        t = f"std::vector<{cpp_element_type(f)}>"
        return f"std::optional<{t}>" if nullable_any(f) else t
    if f.type in ("string", "bytes") or f.is_struct:
        t = cpp_element_type(f)
        return f"std::optional<{t}>" if nullable_any(f) else t
    return cpp_element_type(f)


def int_literal(text: str, ctype: str) -> str:
    v = int(text, 0)
    if ctype == "int64_t" and v == -(2**63):
        return "INT64_MIN"
    if ctype == "int32_t" and v == -(2**31):
        return "INT32_MIN"
    return f"static_cast<{ctype}>({text}{'LL' if not text.startswith('0x') else ''})"


def default_init(f: S.Field) -> str:
    """The member initialiser, from the schema default."""
    d = f.default
    if f.is_array:
        return "{std::in_place}" if nullable_any(f) and d != "null" else ""
    if f.type in SCALARS and f.type != "uuid":
        ctype = SCALARS[f.type][0]
        if d is None or d == "":
            return "{}"
        if f.type == "bool":
            return "{" + ("true" if d.lower() == "true" else "false") + "}"
        if f.type == "float64":
            return "{" + str(float(d)) + "}"
        return "{" + int_literal(d, ctype) + "}"
    if f.type == "string":
        if d is None or d == "null":
            return "{}" if nullable_any(f) else ""
        esc = d.replace("\\", "\\\\").replace('"', '\\"')
        return '{"' + esc + '"}'
    return ""


def min_size_expr(f: S.Field, flex: str) -> str:
    """The fewest bytes the field can take on the wire in a version where it is present."""
    if f.is_array or f.type in ("string", "bytes", "records"):
        wide = "4" if (f.is_array or f.type != "string") else "2"
        return f"({flex} ? 1 : {wide})"
    if f.type in SCALARS:
        return str(SCALARS[f.type][1])
    # a struct: nullable ones may be a single marker byte
    if nullable_any(f):
        return "1"
    return f"{f.type}::min_size(v)"


class Gen:
    def __init__(self, family: str, messages: list[S.Message]):
        self.family = family
        self.messages = messages
        self.h: list[str] = []
        self.cc: list[str] = []
        self.fill: list[str] = []

    # ---- header ----

    def emit_struct_decl(self, ctx: Ctx, name: str, fields: list[S.Field], ind: str, top: S.Message | None) -> None:
        h = self.h
        h.append(f"{ind}struct {name} {{")
        inner = ind + "    "
        if top is not None:
            m = top
            if m.key is not None:
                h.append(f"{inner}static constexpr int16_t api_key = {m.key};")
            h.append(f"{inner}static constexpr int16_t min_version = {m.versions.lo};")
            h.append(f"{inner}static constexpr int16_t max_version = {m.versions.hi};")
            fl = -1 if m.flexible.empty else m.flexible.lo
            h.append(f"{inner}static constexpr int16_t flexible_min_version = {fl};")
            h.append(f'{inner}static constexpr const char* message_name = "{m.name}";')
            for st in m.structs:
                self.emit_struct_decl(ctx, st.name, st.fields, inner, None)
        for f in fields:
            if f.fields:
                self.emit_struct_decl(ctx, f.element, f.fields, inner, None)
        for f in fields:
            h.append(f"{inner}{cpp_type(f)} {snake(f.name)}{default_init(f)};")
        h.append(f"{inner}TaggedFields unknown_tags;")
        h.append("")
        h.append(f"{inner}template <typename W>")
        h.append(f"{inner}void write(W& w, int16_t v) const;")
        h.append(f"{inner}void read(Reader& r, int16_t v);")
        h.append(f"{inner}static size_t min_size(int16_t v);")
        if top is not None:
            h.append(f"{inner}size_t size(int16_t v) const {{")
            h.append(f"{inner}    SizeCounter c;")
            h.append(f"{inner}    write(c, v);")
            h.append(f"{inner}    return c.size();")
            h.append(f"{inner}}}")
        h.append(f"{inner}bool operator==(const {name}&) const = default;")
        h.append(f"{ind}}};")

    # ---- codecs ----

    def flex_of(self, m: S.Message) -> str:
        return vcond(m.flexible)

    def field_flex(self, f: S.Field) -> str:
        return "flex" if f.flexible is None else f"(flex && {vcond(f.flexible)})"

    def emit_struct_defs(self, ctx: Ctx, qual: str, fields: list[S.Field], top: S.Message) -> None:
        for st in (top.structs if qual == top.name else []):
            self.emit_struct_defs(ctx, f"{qual}::{st.name}", st.fields, top)
        for f in fields:
            if f.fields:
                self.emit_struct_defs(ctx, f"{qual}::{f.element}", f.fields, top)
        self.emit_min_size(qual, fields, top)
        self.emit_read(qual, fields, top)
        self.emit_write(qual, fields, top)

    def emit_min_size(self, qual: str, fields: list[S.Field], top: S.Message) -> None:
        c = self.cc
        c.append(f"size_t {qual}::min_size([[maybe_unused]] int16_t v) {{")
        c.append(f"    [[maybe_unused]] const bool flex = {self.flex_of(top)};")
        c.append("    size_t n = flex ? 1 : 0;")
        for f in fields:
            if f.tag is not None:
                continue
            c.append(f"    if ({vcond(f.versions)}) n += {min_size_expr(f, self.field_flex(f))};")
        c.append("    return n;")
        c.append("}")
        c.append("")

    def read_value(self, f: S.Field, target: str, fl: str, nullable: str, ind: str, r: str = "r") -> list[str]:
        """Statements reading one value of field f into target."""
        t = f.type
        if f.is_array:
            et = cpp_element_type(f)
            el = f.element
            if el in SCALARS:
                mn = str(SCALARS[el][1])
            elif el in ("string", "bytes", "records"):
                mn = f"({fl} ? 1 : {'2' if el == 'string' else '4'})"
            else:
                mn = f"{el}::min_size(v)"
            L = [f"{ind}{{",
                 f"{ind}    int32_t gen_n = {r}.read_array_length({fl}, {nullable}, {mn}, sizeof({et}));"]
            vec = target
            if nullable_any(f):
                L.append(f"{ind}    if (gen_n < 0) {{ {target}.reset(); }} else {{ {target}.emplace(); }}")
                vec = f"(*{target})"
            L.append(f"{ind}    for (int32_t gen_k = 0; gen_k < gen_n && {r}.ok(); ++gen_k) {{")
            L.append(f"{ind}        auto& gen_e = {vec}.emplace_back();")
            L += self.read_scalar(el, "gen_e", fl, "false", ind + "        ", r)
            L.append(f"{ind}    }}")
            L.append(f"{ind}}}")
            return L
        if f.is_struct:
            if nullable_any(f):
                return [f"{ind}if ({nullable} && {r}.read_int8() < 0) {{",
                        f"{ind}    {target}.reset();",
                        f"{ind}}} else {{",
                        f"{ind}    {target}.emplace({f.type}{{}}).read({r}, v);",
                        f"{ind}}}"]
            return [f"{ind}{target}.read({r}, v);"]
        if t == "string" and nullable_any(f):
            return [f"{ind}{r}.read_nullable_string({target}, {fl}, {nullable});"]
        if t == "bytes" and nullable_any(f):
            return [f"{ind}{r}.read_nullable_bytes({target}, {fl}, {nullable});"]
        return self.read_scalar(t, target, fl, nullable, ind, r)

    def read_scalar(self, t: str, target: str, fl: str, nullable: str, ind: str, r: str = "r") -> list[str]:
        if t in SCALARS:
            return [f"{ind}{target} = {r}.read_{t}();"]
        if t == "string":
            return [f"{ind}{r}.read_string({target}, {fl});"]
        if t == "bytes":
            return [f"{ind}{r}.read_bytes({target}, {fl});"]
        if t == "records":
            return [f"{ind}{target} = {r}.read_records({fl}, {nullable});"]
        return [f"{ind}{target}.read({r}, v);"]

    def emit_read(self, qual: str, fields: list[S.Field], top: S.Message) -> None:
        c = self.cc
        c.append(f"void {qual}::read(Reader& r, [[maybe_unused]] int16_t v) {{")
        c.append(f"    [[maybe_unused]] const bool flex = {self.flex_of(top)};")
        tagged = [f for f in fields if f.tag is not None]
        for f in fields:
            if f.tag is not None:
                continue
            cond = vcond(f.versions)
            body = self.read_value(f, snake(f.name), self.field_flex(f), vcond(f.nullable), "        ")
            c.append(f"    if ({cond}) {{")
            c += body
            c.append("    }")
        c.append("    if (!flex) return;")
        c.append("    const uint32_t gen_tags = r.read_tag_count();")
        c.append("    for (uint32_t gen_i = 0; gen_i < gen_tags && r.ok(); ++gen_i) {")
        c.append("        const uint32_t gen_tag = r.read_uvarint();")
        c.append("        const uint32_t gen_size = r.read_uvarint();")
        c.append("        if (!r.ok()) return;")
        if tagged:
            c.append("        switch (gen_tag) {")
            for f in tagged:
                c.append(f"            case {f.tag}:")
                c.append(f"                if ({vcond(f.tagged)}) {{")
                c.append("                    Reader gen_sub = r.sub_reader(gen_size);")
                c += self.read_value(f, snake(f.name), "true", vcond(f.nullable), "                    ", "gen_sub")
                c.append("                    if (!gen_sub.ok()) r.fail(gen_sub.error());")
                c.append("                    continue;")
                c.append("                }")
                c.append("                break;")
            c.append("            default:")
            c.append("                break;")
            c.append("        }")
        c.append("        r.read_unknown_tag(gen_tag, gen_size, unknown_tags);")
        c.append("    }")
        c.append("}")
        c.append("")

    def write_value(self, f: S.Field, src: str, fl: str, ind: str, w: str = "w") -> list[str]:
        t = f.type
        if f.is_array:
            el = f.element
            L = []
            vec = src
            if nullable_any(f):
                L.append(f"{ind}if (!{src}) {{")
                L.append(f"{ind}    {w}.write_array_length(-1, {fl});")
                L.append(f"{ind}}} else {{")
                vec = f"(*{src})"
                ind2 = ind + "    "
            else:
                ind2 = ind
            L.append(f"{ind2}{w}.write_array_length(static_cast<int64_t>({vec}.size()), {fl});")
            L.append(f"{ind2}for (const auto& gen_e : {vec}) {{")
            L += self.write_scalar(el, "gen_e", fl, ind2 + "    ", w)
            L.append(f"{ind2}}}")
            if nullable_any(f):
                L.append(f"{ind}}}")
            return L
        if f.is_struct:
            if nullable_any(f):
                nl = vcond(f.nullable)
                return [f"{ind}if ({nl}) {w}.write_int8({src} ? 1 : -1);",
                        f"{ind}if ({src}) {{",
                        f"{ind}    {src}->write({w}, v);",
                        f"{ind}}} else if (!({nl})) {{",
                        f"{ind}    {f.type}{{}}.write({w}, v);",
                        f"{ind}}}"]
            return [f"{ind}{src}.write({w}, v);"]
        if t == "string" and nullable_any(f):
            return [f"{ind}{w}.write_nullable_string({src}, {fl});"]
        if t == "bytes" and nullable_any(f):
            return [f"{ind}{w}.write_nullable_bytes({src}, {fl});"]
        return self.write_scalar(t, src, fl, ind, w)

    def write_scalar(self, t: str, src: str, fl: str, ind: str, w: str = "w") -> list[str]:
        if t in SCALARS:
            return [f"{ind}{w}.write_{t}({src});"]
        if t == "string":
            return [f"{ind}{w}.write_string({src}, {fl});"]
        if t == "bytes":
            return [f"{ind}{w}.write_bytes({src}, {fl});"]
        if t == "records":
            return [f"{ind}{w}.write_records({src}, {fl});"]
        return [f"{ind}{src}.write({w}, v);"]

    def tagged_nondefault(self, f: S.Field) -> str:
        n = snake(f.name)
        if f.is_array:
            return f"{n}.has_value()" if nullable_any(f) and f.default == "null" else (
                f"(!{n} || !{n}->empty())" if nullable_any(f) else f"!{n}.empty()")
        if f.is_struct:
            return f"{n}.has_value()" if nullable_any(f) else f"!({n} == {f.type}{{}})"
        if f.type == "records":
            return f"!{n}.is_null"
        return f"{n} != decltype({n}){default_init(f) or '{}'}"

    def emit_write(self, qual: str, fields: list[S.Field], top: S.Message) -> None:
        c = self.cc
        c.append("template <typename W>")
        c.append(f"void {qual}::write(W& w, [[maybe_unused]] int16_t v) const {{")
        c.append(f"    [[maybe_unused]] const bool flex = {self.flex_of(top)};")
        tagged = sorted([f for f in fields if f.tag is not None], key=lambda f: f.tag)
        for f in fields:
            if f.tag is not None:
                continue
            c.append(f"    if ({vcond(f.versions)}) {{")
            c += self.write_value(f, snake(f.name), self.field_flex(f), "        ")
            c.append("    }")
        c.append("    if (!flex) return;")
        # Tags go out in ascending order, known and unknown interleaved.
        c.append("    uint32_t gen_count = static_cast<uint32_t>(unknown_tags.size());")
        for f in tagged:
            c.append(f"    const bool gen_has_{f.tag} = ({vcond(f.tagged)}) && {self.tagged_nondefault(f)};")
            c.append(f"    gen_count += gen_has_{f.tag} ? 1 : 0;")
        c.append("    w.write_uvarint(gen_count);")
        c.append("    size_t gen_u = 0;")
        for f in tagged:
            c.append(f"    write_unknown_tags(w, unknown_tags, gen_u, {f.tag});")
            c.append(f"    if (gen_has_{f.tag}) {{")
            c.append(f"        w.write_uvarint({f.tag});")
            c.append("        SizeCounter gen_sc;")
            c += self.write_value(f, snake(f.name), "true", "        ", "gen_sc")
            c.append("        w.write_uvarint(static_cast<uint32_t>(gen_sc.size()));")
            c += self.write_value(f, snake(f.name), "true", "        ")
            c.append("    }")
        c.append("    write_unknown_tags(w, unknown_tags, gen_u, UINT32_MAX);")
        c.append("}")
        c.append("")

    # ---- test value generators ----

    def emit_fill(self, qual: str, fields: list[S.Field], top: S.Message) -> None:
        for st in (top.structs if qual == top.name else []):
            self.emit_fill(f"{qual}::{st.name}", st.fields, top)
        for f in fields:
            if f.fields:
                self.emit_fill(f"{qual}::{f.element}", f.fields, top)
        L = self.fill
        L.append(f"[[maybe_unused]] void fill({qual}& x, Rng& rng, int16_t v, int depth) {{")
        L.append(f"    [[maybe_unused]] const bool flex = {self.flex_of(top)};")
        for f in fields:
            present = vcond(f.versions) if f.tag is None else f"flex && ({vcond(f.tagged)})"
            n = "x." + snake(f.name)
            L.append(f"    if ({present}) {{")
            nul = vcond(f.nullable)
            if nullable_any(f):
                L.append(f"        if (({nul}) && rng.chance(4)) {{")
                if f.type == "records":
                    L.append(f"            {n} = RecordsRef{{}};")
                else:
                    L.append(f"            {n}.reset();")
                L.append("        } else {")
                L += self.fill_value(f, n, "            ")
                L.append("        }")
            else:
                L += self.fill_value(f, n, "        ")
            L.append("    }")
        L.append("}")
        L.append("")

    def fill_value(self, f: S.Field, target: str, ind: str) -> list[str]:
        opt = nullable_any(f) and f.type != "records" and not (f.type in SCALARS)
        # emplace(T{}) rather than emplace(): clang caches "not default-constructible" for a
        # nested struct with member initialisers while its enclosing class is incomplete.
        dst = (f"{target}.emplace(decltype({target})::value_type{{}})" if f.is_struct and not f.is_array
               else f"{target}.emplace()") if opt else target
        if f.is_array:
            L = [f"{ind}{{",
                 f"{ind}    auto& vec = {dst};",
                 f"{ind}    vec.clear();",
                 f"{ind}    const int n = depth > 3 ? 0 : rng.below(3);",
                 f"{ind}    for (int i = 0; i < n; ++i) {{",
                 f"{ind}        auto& e = vec.emplace_back();"]
            L += self.fill_scalar(f.element, "e", ind + "        ")
            L += [f"{ind}    }}", f"{ind}}}"]
            return L
        if opt:
            return [f"{ind}{{", f"{ind}    auto& val = {dst};"] + self.fill_scalar(f.type, "val", ind + "    ") + [f"{ind}}}"]
        return self.fill_scalar(f.type, target, ind)

    def fill_scalar(self, t: str, target: str, ind: str) -> list[str]:
        if t == "bool":
            return [f"{ind}{target} = rng.below(2) == 1;"]
        if t in ("int8", "int16", "int32", "int64", "uint16", "uint32"):
            ct = SCALARS[t][0]
            return [f"{ind}{target} = static_cast<{ct}>(rng.next());"]
        if t == "float64":
            return [f"{ind}{target} = static_cast<double>(static_cast<int32_t>(rng.next())) / 7.0;"]
        if t == "uuid":
            return [f"{ind}{target} = rng.uuid();"]
        if t == "string":
            return [f"{ind}{target} = rng.string();"]
        if t == "bytes":
            return [f"{ind}{target} = rng.bytes();"]
        if t == "records":
            return [f"{ind}{target} = rng.records();"]
        return [f"{ind}fill({target}, rng, v, depth + 1);"]

    # ---- files ----

    def run(self) -> None:
        for m in self.messages:
            ctx = Ctx(m)
            self.emit_struct_decl(ctx, m.name, m.fields, "", m)
            self.h.append("")
            self.emit_struct_defs(ctx, m.name, m.fields, m)
            self.emit_fill(m.name, m.fields, m)

    def header_text(self) -> str:
        return "\n".join([
            f"// Generated from src/protocol/schema/{self.family}.gs by generate.py; do not edit.",
            "#pragma once",
            "",
            "#include <cstdint>",
            "#include <optional>",
            "#include <string>",
            "#include <vector>",
            "",
            '#include "gregor/protocol/wire.h"',
            "",
            "namespace gregor::protocol {",
            "",
            *self.h,
            "}  // namespace gregor::protocol",
            "",
        ])

    def source_text(self) -> str:
        inst = []
        for m in self.messages:
            chunked = has_records(m)
            for qual in all_quals(m):
                inst.append(f"template void {qual}::write<Writer>(Writer&, int16_t) const;")
                inst.append(f"template void {qual}::write<SizeCounter>(SizeCounter&, int16_t) const;")
                if chunked:
                    inst.append(f"template void {qual}::write<ChunkedWriter>(ChunkedWriter&, int16_t) const;")
        return "\n".join([
            f"// Generated from src/protocol/schema/{self.family}.gs by generate.py; do not edit.",
            f'#include "gregor/protocol/messages/{self.family}.h"',
            "",
            "#include <climits>",
            "",
            "namespace gregor::protocol {",
            "",
            *self.cc,
            *inst,
            "",
            "}  // namespace gregor::protocol",
            "",
        ])

    def fill_text(self) -> str:
        rt = []
        for m in self.messages:
            rt += [f"bool roundtrip_{m.name}(uint64_t seed, int16_t v, std::string& why) {{",
                   f"    return check_roundtrip<{m.name}>(seed, v, why);",
                   "}", "",
                   f"void sample_{m.name}(uint64_t seed, int16_t v, std::vector<uint8_t>& out) {{",
                   f"    encode_sample<{m.name}>(seed, v, out);",
                   "}", ""]
        return "\n".join([
            f"// Generated from src/protocol/schema/{self.family}.gs by generate.py; do not edit.",
            f'#include "gregor/protocol/messages/{self.family}.h"',
            '#include "gregor/protocol/testgen.h"',
            "",
            "namespace gregor::protocol::testgen {",
            "",
            *self.fill,
            *rt,
            "}  // namespace gregor::protocol::testgen",
            "",
        ])


def sort_shared(m: S.Message) -> None:
    """Orders shared structs so each is declared after the shared structs it uses."""
    by_name = {st.name: st for st in m.structs}
    done: list[S.Struct] = []
    seen: set[str] = set()

    def uses(fields: list[S.Field]) -> set[str]:
        out = set()
        for f in fields:
            if f.is_struct and f.element in by_name and not f.fields:
                out.add(f.element)
            out |= uses(f.fields)
        return out

    def visit(st: S.Struct) -> None:
        if st.name in seen:
            return
        seen.add(st.name)
        for dep in sorted(uses(st.fields)):
            visit(by_name[dep])
        done.append(st)

    for st in m.structs:
        visit(st)
    m.structs = done


def has_records(m: S.Message) -> bool:
    """Whether any struct of the message holds a records field (those also get a ChunkedWriter)."""
    def walk(fields: list[S.Field]) -> bool:
        return any(f.type == "records" or (f.fields and walk(f.fields)) for f in fields)
    return walk(m.fields) or any(walk(st.fields) for st in m.structs)


def all_quals(m: S.Message) -> list[str]:
    out = []

    def walk(qual: str, fields: list[S.Field]) -> None:
        for f in fields:
            if f.fields:
                walk(f"{qual}::{f.element}", f.fields)
        out.append(qual)

    for st in m.structs:
        walk(f"{m.name}::{st.name}", st.fields)
    walk(m.name, m.fields)
    return out


def registry_text(families: dict[str, list[S.Message]]) -> str:
    apis: dict[int, dict[str, S.Message]] = {}
    for msgs in families.values():
        for m in msgs:
            if m.kind in ("request", "response"):
                apis.setdefault(m.key, {})[m.kind] = m
    incl = [f'#include "gregor/protocol/messages/{f}.h"' for f in sorted(families)]
    rows = []
    fns = []
    for key in sorted(apis):
        req, resp = apis[key]["request"], apis[key]["response"]
        base = req.name[: -len("Request")]
        lst = []
        for name in req.listeners:
            if name in ("broker", "controller"):
                lst.append(f"kListener{name.capitalize()}")
        listeners = " | ".join(lst) or "0"
        rflex = -1 if req.flexible.empty else req.flexible.lo
        pflex = -1 if resp.flexible.empty else resp.flexible.lo
        fns.append(f"bool decode_{base}Request(Reader& r, int16_t v) {{ {req.name} m; m.read(r, v); return r.ok(); }}")
        fns.append(f"bool decode_{base}Response(Reader& r, int16_t v) {{ {resp.name} m; m.read(r, v); return r.ok(); }}")
        rows.append(f'    {{{key}, "{base}", {req.versions.lo}, {req.versions.hi}, {rflex}, {pflex}, '
                    f'{"true" if req.unstable_latest else "false"}, {listeners}, '
                    f'&decode_{base}Request, &decode_{base}Response}},')
    return "\n".join([
        "// Generated from src/protocol/schema/*.gs by generate.py; do not edit.",
        '#include "gregor/protocol/api_registry.h"',
        *incl,
        "",
        "namespace gregor::protocol {",
        "namespace {",
        *fns,
        "",
        "constexpr ApiInfo kApis[] = {",
        *rows,
        "};",
        "}  // namespace",
        "",
        "std::span<const ApiInfo> all_apis() { return kApis; }",
        "",
        "}  // namespace gregor::protocol",
        "",
    ])


def roundtrip_table_text(families: dict[str, list[S.Message]]) -> str:
    decls, rows = [], []
    for fam in sorted(families):
        for m in families[fam]:
            decls.append(f"bool roundtrip_{m.name}(uint64_t seed, int16_t v, std::string& why);")
            decls.append(f"void sample_{m.name}(uint64_t seed, int16_t v, std::vector<uint8_t>& out);")
            key = -1 if m.key is None else m.key
            rows.append(f'    {{"{m.name}", "{m.kind}", {key}, {m.versions.lo}, {m.versions.hi}, '
                        f'&roundtrip_{m.name}, &sample_{m.name}}},')
    return "\n".join([
        "// Generated from src/protocol/schema/*.gs by generate.py; do not edit.",
        '#include "gregor/protocol/testgen.h"',
        "",
        "namespace gregor::protocol::testgen {",
        *decls,
        "",
        "namespace {",
        "const RoundTripCase kCases[] = {",
        *rows,
        "};",
        "}  // namespace",
        "",
        "std::span<const RoundTripCase> roundtrip_cases() { return kCases; }",
        "",
        "}  // namespace gregor::protocol::testgen",
        "",
    ])


def write_if_changed(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args()
    families: dict[str, list[S.Message]] = {}
    try:
        for path in args.schemas:
            fam = os.path.splitext(os.path.basename(path))[0]
            families[fam] = S.parse_file(path)
            for m in families[fam]:
                sort_shared(m)
    except S.SchemaError as e:
        print(f"schema error: {e}", file=sys.stderr)
        return 1
    for fam, msgs in families.items():
        g = Gen(fam, msgs)
        g.run()
        write_if_changed(os.path.join(args.out, "include/gregor/protocol/messages", fam + ".h"), g.header_text())
        write_if_changed(os.path.join(args.out, "src", fam + ".cc"), g.source_text())
        write_if_changed(os.path.join(args.out, "test", fam + "_fill.cc"), g.fill_text())
    write_if_changed(os.path.join(args.out, "src/api_registry.cc"), registry_text(families))
    write_if_changed(os.path.join(args.out, "test/roundtrip_table.cc"), roundtrip_table_text(families))
    return 0


if __name__ == "__main__":
    sys.exit(main())
