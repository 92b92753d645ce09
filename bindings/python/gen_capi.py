#!/usr/bin/env python3
"""Writes bindings/python/faceswap/capi.py, the ctypes mirror of include/faceswap.h, from the header.

    python3 bindings/python/gen_capi.py [--header include/faceswap.h] [-o faceswap/capi.py] [--check]

`make build` runs it (the `capi` target), so the Python package always matches the header it is
built with: a struct, field, enum, constant, callback type or function added to the header appears
in capi.py with no edit. capi.py is therefore not in git. --check writes nothing and exits 1 when
the file differs from a fresh generation (e.g. the header changed since the last `make build`).

How the header is read: the C preprocessor (`cc -E`, the header's own #if logic, FS_EXPERIMENTAL and
FS_API expanded to nothing) and then pycparser (PyPI `pycparser`, installed by .ci/install-deps).
The header's `#include <...>` lines are replaced by typedefs of the standard names it uses
(pycparser reads C, not glibc's headers). Tests/python/test_capi_header.py reads the header through
`read_header` here too and checks the generated module against a C compiler's sizes and offsets.

What is generated, C -> Python:
  FS_X integer #define               X (FS_ABI_VERSION -> ABI_VERSION)
  typedef enum fs_pixel_format {...} IntEnum PixelFormat, members without the enumerators' common
                                     prefix (FS_FORMAT_GRAY8 -> GRAY8; fs_status also drops ERR_),
                                     and fs_pixel_format = c_int (C enums are passed as int)
  typedef struct fs_x fs_x;          fs_x_p = c_void_p (an opaque handle)
  typedef uint32_t fs_y;             fs_y = c_uint32
  typedef struct fs_x {...} fs_x;    ctypes.Structure fs_x with the same fields; a struct whose
                                     first field is struct_size and that has no fs_x_init function
                                     (the ones the library fills) sets struct_size on creation
  typedef R (*fs_fn)(...);           fs_fn = CFUNCTYPE(R, ...)
  FS_API R fs_f(...);                lib.fs_f.restype / .argtypes
  fs_x_options_init                  new_options(fs_x_options)
Anything else (a union, a bit-field, an unnamed function pointer) stops the generator with a message
saying so, rather than writing a wrong mirror.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_HEADER = HERE.parent.parent / "include" / "faceswap.h"
DEFAULT_OUTPUT = HERE / "faceswap" / "capi.py"

# The standard C types the header may use -> their ctypes names.
STANDARD = {
    "char": "c_char", "signed char": "c_byte", "unsigned char": "c_ubyte",
    "short": "c_short", "unsigned short": "c_ushort",
    "int": "c_int", "unsigned": "c_uint", "unsigned int": "c_uint",
    "long": "c_long", "unsigned long": "c_ulong", "long long": "c_longlong",
    "unsigned long long": "c_ulonglong", "float": "c_float", "double": "c_double",
    "_Bool": "c_bool", "bool": "c_bool", "size_t": "c_size_t", "ptrdiff_t": "c_ssize_t",
    "intptr_t": "c_ssize_t", "uintptr_t": "c_size_t",
    "int8_t": "c_int8", "int16_t": "c_int16", "int32_t": "c_int32", "int64_t": "c_int64",
    "uint8_t": "c_uint8", "uint16_t": "c_uint16", "uint32_t": "c_uint32", "uint64_t": "c_uint64",
}
# Typedefs standing in for <stdint.h>/<stddef.h>/<stdbool.h> (their underlying type does not
# matter here: the names are mapped by STANDARD).
PRELUDE = "".join(f"typedef int {name};\n" for name in STANDARD
                  if name.endswith("_t") or name == "bool")
# Integer object-like macros: `#define FS_NAME <number or parenthesised expression>`.
DEFINE = re.compile(r"(?m)^[ \t]*#[ \t]*define[ \t]+(FS_[A-Z0-9_]+)[ \t]+[(0-9]")
# Enumerator prefixes dropped on top of the common one (Status.INVALID_ARGUMENT, not ERR_...).
EXTRA_PREFIX = {"fs_status": "ERR_"}


class HeaderError(Exception):
    """The header holds something the generator does not know how to mirror."""


@dataclass
class Header:
    """What the header declares, in declaration order."""
    structs: dict = field(default_factory=dict)    # name -> [(field, Decl node)]
    opaque: list = field(default_factory=list)     # typedef'd structs without a body (handles)
    enums: dict = field(default_factory=dict)      # name -> [(enumerator, value)]
    callbacks: dict = field(default_factory=dict)  # name -> FuncDecl node (function pointer typedef)
    aliases: dict = field(default_factory=dict)    # name -> TypeDecl node (typedef of a plain type)
    functions: dict = field(default_factory=dict)  # name -> FuncDecl node
    c_names: dict = field(default_factory=dict)    # struct name -> how C spells the type
    defines: dict = field(default_factory=dict)    # FS_ integer macro -> value
    layout: dict = field(default_factory=dict)     # filled by the test from a compiler


def find_cc() -> str:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise HeaderError("no C compiler (cc, gcc or clang) to preprocess the header; set CC")
    return cc


def _preprocess(cc: str, text: str, where: Path) -> str:
    text = re.sub(r"(?m)^\s*#\s*include\s*<[^>]*>\s*$", "", text)
    run = subprocess.run([cc, "-E", "-P", "-x", "c", "-D__attribute__(x)=", "-"],
                         input=PRELUDE + text, capture_output=True, text=True)
    if run.returncode != 0:
        raise HeaderError(f"the C preprocessor ({cc}) failed on {where}:\n{run.stderr}")
    return run.stdout


def const(node, where: str) -> int:
    """The value of an integer constant expression (a pycparser node)."""
    from pycparser import c_ast
    if isinstance(node, c_ast.Constant) and node.type in ("int", "unsigned int", "long int",
                                                          "unsigned long int", "long long int",
                                                          "unsigned long long int"):
        return int(node.value.rstrip("uUlL"), 0)
    if isinstance(node, c_ast.UnaryOp) and node.op in ("-", "+", "~"):
        v = const(node.expr, where)
        return {"-": -v, "+": v, "~": ~v}[node.op]
    if isinstance(node, c_ast.BinaryOp):
        a, b = const(node.left, where), const(node.right, where)
        ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
               "/": lambda: int(a / b), "<<": lambda: a << b, ">>": lambda: a >> b,
               "|": lambda: a | b, "&": lambda: a & b}
        if node.op in ops:
            return ops[node.op]()
    raise HeaderError(f"{where}: cannot evaluate {type(node).__name__} as an integer constant; "
                      "teach gen_capi.const about it")


def read_header(path: Path = DEFAULT_HEADER, cc: str | None = None) -> Header:
    """The header's structs, handles, enums, callback types, functions and FS_ integer macros."""
    try:
        from pycparser import c_ast, c_parser
    except ImportError:
        raise HeaderError("pycparser is missing: `python3 -m pip install pycparser` "
                          "(.ci/install-deps installs it); it reads include/faceswap.h") from None
    cc = cc or find_cc()
    text = path.read_text()
    names = DEFINE.findall(text)
    # The macros' values: each becomes an initialiser the preprocessor expands and the parse reads.
    probe = "".join(f"\nint fsgen_{n} = {n};" for n in names)
    ast = c_parser.CParser().parse(_preprocess(cc, text + probe, path), str(path))
    h = Header()

    def struct(node, c_name):
        if node.decls is None:
            if c_name not in h.opaque:
                h.opaque.append(c_name)
            return
        for d in node.decls:
            if getattr(d, "bitsize", None) is not None:
                raise HeaderError(f"{d.coord}: bit-field {c_name}.{d.name}; ctypes mirrors of "
                                  "bit-fields are not generated")
        h.structs[c_name] = [(d.name, d) for d in node.decls]

    def enum(node, name):
        values, nxt = [], 0
        for e in node.values.enumerators:
            nxt = const(e.value, f"{name}.{e.name}") if e.value is not None else nxt
            values.append((e.name, nxt))
            nxt += 1
        h.enums[name] = values

    for ext in ast.ext:
        if isinstance(ext, c_ast.Typedef):
            if ext.name in STANDARD:
                continue  # the prelude
            t = ext.type
            if isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.Struct):
                if t.type.decls is not None or ext.name not in h.structs:
                    struct(t.type, ext.name)
                h.c_names[ext.name] = ext.name
            elif isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.Enum):
                enum(t.type, ext.name)
            elif isinstance(t, c_ast.PtrDecl) and isinstance(t.type, c_ast.FuncDecl):
                h.callbacks[ext.name] = t.type
            elif isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType):
                h.aliases[ext.name] = t  # e.g. typedef uint32_t fs_flags;
            else:
                raise HeaderError(f"{ext.coord}: typedef {ext.name} is of a kind gen_capi.py "
                                  "does not mirror; teach it")
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.FuncDecl):
            h.functions[ext.name] = ext.type
        elif isinstance(ext, c_ast.Decl) and ext.name and ext.name.startswith("fsgen_"):
            h.defines[ext.name.removeprefix("fsgen_")] = const(ext.init, ext.name[6:])
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Struct) and ext.type.decls:
            struct(ext.type, ext.type.name)
            h.c_names[ext.type.name] = "struct " + ext.type.name
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Enum):
            enum(ext.type, ext.type.name)
        else:
            raise HeaderError(f"{ext.coord}: a declaration gen_capi.py does not mirror; teach it")
    return h


# ------------------------------------------------------------------------------------------------
# C types -> ctypes source text
# ------------------------------------------------------------------------------------------------

def ctype(h: Header, node, where: str, param: bool = False) -> str:
    """The ctypes expression (source text) for a pycparser type node; "None" for void."""
    from pycparser import c_ast
    if isinstance(node, c_ast.TypeDecl):
        inner = node.type
        if isinstance(inner, c_ast.IdentifierType):
            name = " ".join(inner.names)
            if name == "void":
                return "None"
            if name in STANDARD:
                return STANDARD[name]
            if name in h.enums or name in h.callbacks or name in h.structs or name in h.aliases:
                return name  # enums: the c_int alias; aliases: theirs; callbacks, structs: classes
            raise HeaderError(f"{where}: the type {name} is unknown to gen_capi.py")
        if isinstance(inner, c_ast.Enum):
            return "c_int"
        if isinstance(inner, c_ast.Struct) and inner.name in h.structs:
            return inner.name
    if isinstance(node, c_ast.ArrayDecl):
        elem = ctype(h, node.type, where)
        if param:  # an array parameter is a pointer
            return f"POINTER({elem})"
        return f"{elem} * {const(node.dim, where)}"
    if isinstance(node, c_ast.PtrDecl):
        target = node.type
        if isinstance(target, c_ast.TypeDecl) and isinstance(target.type, c_ast.IdentifierType):
            name = " ".join(target.type.names)
            if name == "void":
                return "c_void_p"
            if name in h.opaque:
                return f"{name}_p"  # handles: void pointers
            if name == "char":  # const char *: a string in; char *: a buffer the library fills
                return "c_char_p" if "const" in target.quals else "POINTER(c_char)"
        if isinstance(target, c_ast.FuncDecl):
            raise HeaderError(f"{where}: an unnamed function pointer; name it by a typedef")
        return f"POINTER({ctype(h, target, where)})"
    raise HeaderError(f"{where}: a C type gen_capi.py does not mirror: {type(node).__name__}")


def params(h: Header, func, where: str) -> list[str]:
    from pycparser import c_ast
    ps = func.args.params if func.args is not None else []
    if (len(ps) == 1 and isinstance(ps[0].type, c_ast.TypeDecl)
            and isinstance(ps[0].type.type, c_ast.IdentifierType)
            and ps[0].type.type.names == ["void"]):
        return []
    return [ctype(h, p.type, f"{where} argument {i + 1} ({p.name})", param=True)
            for i, p in enumerate(ps)]


def enum_class(name: str) -> str:
    """fs_pixel_format -> PixelFormat."""
    return "".join(part.capitalize() for part in name.removeprefix("fs_").split("_"))


def enum_members(name: str, values: list) -> list[tuple[str, int]]:
    """Enumerators without their common prefix (up to an underscore) and EXTRA_PREFIX."""
    names = [n for n, _ in values]
    prefix = os.path.commonprefix(names) if len(names) > 1 else names[0]
    prefix = prefix[:prefix.rfind("_") + 1]
    extra = EXTRA_PREFIX.get(name, "")
    out = []
    for n, v in values:
        member = n[len(prefix):]
        out.append((member.removeprefix(extra) if extra and member != extra else member, v))
    if any(not m.isidentifier() or m[0].isdigit() for m, _ in out):
        raise HeaderError(f"{name}: the enumerators {names} leave members {[m for m, _ in out]} "
                          "that are not Python names")
    return out


# ------------------------------------------------------------------------------------------------
# The module
# ------------------------------------------------------------------------------------------------

PREAMBLE = '''"""Low-level ctypes mirror of include/faceswap.h: GENERATED by bindings/python/gen_capi.py from
the header (`make build` runs it); do not edit. Library finding and loading: faceswap/_library.py.

Every struct of the header is a ``ctypes.Structure`` of the same name, every enum an ``IntEnum``
(fs_pixel_format -> PixelFormat, FS_FORMAT_BGR8 -> PixelFormat.BGR8), every integer FS_ macro a
constant without its prefix (FS_ABI_VERSION -> ABI_VERSION), every callback type a CFUNCTYPE, and
every function of the header has its restype and argtypes declared on ``lib``. Most users want the
high-level API in :mod:`faceswap`; this module is public for callers (and tests) that need the C API
directly::

    from faceswap import capi
    img = ctypes.c_void_p()
    status = capi.lib.fs_image_load(b"x.jpg", ctypes.byref(img))

Structs that grow (ABI 2): an options struct is made by :func:`new_options` (its
``fs_*_options_init`` fills it at this binding's size); an output struct the library fills
(``fs_model_info``, ``fs_swap_metrics``, ``fs_video_stats``, ...) sets its ``struct_size`` to its
own size when created, as the header asks of every caller::

    opts, status = capi.new_options(capi.fs_detector_options)
    stats = capi.fs_video_stats()          # stats.struct_size == ctypes.sizeof(stats)
"""

# flake8: noqa
from __future__ import annotations

import enum
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_bool, c_byte, c_char, c_char_p,
                    c_double, c_float, c_int, c_int8, c_int16, c_int32, c_int64, c_long,
                    c_longlong, c_short, c_size_t, c_ssize_t, c_ubyte, c_uint, c_uint8, c_uint16,
                    c_uint32, c_uint64, c_ulong, c_ulonglong, c_ushort, c_void_p, sizeof)

from ._library import LibraryNotFoundError, OutputStruct, declare, load
'''

NEW_OPTIONS = '''

def new_options(cls):
    """A new ``cls`` (an options struct) filled by its ``fs_*_options_init`` at this binding's
    ``sizeof(cls)``: the library's defaults, ``struct_size`` set. Returns ``(options, status)``;
    the status is ``Status.OK`` unless the library refused."""
    opts = cls()
    status = getattr(lib, _OPTIONS_INIT[cls])(byref(opts), sizeof(opts))
    return opts, status
'''


def generate(h: Header, header_name: str = "include/faceswap.h") -> str:
    """capi.py's text for the parsed header."""
    out = [PREAMBLE]
    exported = ["LibraryNotFoundError", "lib", "library_path", "new_options"]

    def section(title):
        out.append(f"\n# {'-' * 94}\n# {title}\n# {'-' * 94}\n")

    section(f"Constants: the integer FS_ macros of {header_name}")
    for name, value in h.defines.items():
        out.append(f"{name.removeprefix('FS_')} = {value}")
        exported.append(name.removeprefix("FS_"))

    section("Enums (C enums are passed and stored as int)")
    for name, values in h.enums.items():
        cls = enum_class(name)
        out.append(f"\n\nclass {cls}(enum.IntEnum):")
        out.append(f'    """{name}"""')
        out += [f"    {m} = {v}" for m, v in enum_members(name, values)]
        out.append(f"\n\n{name} = c_int")
        exported += [cls, name]

    if h.aliases:
        section("Plain type aliases")
        for name, node in h.aliases.items():
            out.append(f"{name} = {ctype(h, node, name)}")
            exported.append(name)

    section("Opaque handles: void pointers")
    for name in h.opaque:
        out.append(f"{name}_p = c_void_p")
        exported.append(f"{name}_p")

    inits = {f"{s}_init": s for s in h.structs if f"{s}_init" in h.functions}
    section("Structs: declared first, their fields below (a field may name a later type)")
    for name, fields in h.structs.items():
        output = fields[0][0] == "struct_size" and name not in inits.values()
        out.append(f"\n\nclass {name}({'OutputStruct' if output else 'Structure'}):")
        out.append(f'    """{h.c_names[name]}{" (filled by the library)" if output else ""}"""')
        exported.append(name)

    out.append("")
    section("Callback types")
    for name, func in h.callbacks.items():
        ret = ctype(h, func.type, f"{name} return type")
        args = params(h, func, name)
        out.append(f"{name} = CFUNCTYPE({', '.join([ret] + args)})")
        exported.append(name)

    section("Struct fields (the header's order and types)")
    for name, fields in h.structs.items():
        out.append(f"{name}._fields_ = [")
        out += [f'    ("{f}", {ctype(h, decl.type, f"{name}.{f}")}),' for f, decl in fields]
        out.append("]")

    section("Functions: (name, restype, argtypes), declared on the loaded library")
    out.append("lib, library_path = load(ABI_VERSION)\n")
    out.append("_FUNCTIONS = [")
    for name, func in h.functions.items():
        ret = ctype(h, func.type, f"{name} return type")
        out.append(f'    ("{name}", {ret}, [{", ".join(params(h, func, name))}]),')
    out.append("]")
    out.append("declare(lib, _FUNCTIONS)\n")
    out.append("# Each options struct's fs_*_options_init, for new_options.")
    out.append("_OPTIONS_INIT = {")
    out += [f'    {s}: "{fn}",' for fn, s in inits.items()]
    out.append("}")
    out.append(NEW_OPTIONS)
    out.append("\n__all__ = [")
    out += [f'    "{n}",' for n in exported]
    out.append("]")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--header", type=Path, default=DEFAULT_HEADER)
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if OUTPUT differs from a fresh generation")
    a = ap.parse_args(argv)
    try:
        text = generate(read_header(a.header))
    except HeaderError as e:
        print(f"gen_capi.py: {e}", file=sys.stderr)
        return 1
    if a.check:
        old = a.output.read_text() if a.output.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), str(a.output), "generated"))
            print(f"{a.output} is stale: run `make capi`", file=sys.stderr)
            return 1
        return 0
    tmp = a.output.with_suffix(".py.tmp")
    tmp.write_text(text)
    os.replace(tmp, a.output)  # atomic: an importer never sees half a file
    return 0


if __name__ == "__main__":
    sys.exit(main())
