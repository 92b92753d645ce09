"""The ctypes mirror (bindings/python/faceswap/capi.py) against include/faceswap.h, all of it.

The header is read by pycparser after the C preprocessor, so every struct, enum, callback type and
FS_API function it declares is listed from the header itself: a field or function added there and
not in capi fails here by name. Each C type is mapped to the ctypes type the binding must use
(enums: c_int; pointers to opaque handles: c_void_p; const char *: c_char_p; other pointers and
array parameters: POINTER(...)). Offsets and sizes come from a C compiler on the real header, not
from the parse.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from ctypes import (POINTER, c_char, c_char_p, c_double, c_float, c_int, c_int8, c_int16, c_int32,
                    c_int64, c_size_t, c_ssize_t, c_uint, c_uint8, c_uint16, c_uint32, c_uint64,
                    c_void_p)
from dataclasses import dataclass, field

import pytest

from conftest import REPO, skip_without

HEADER = REPO / "include" / "faceswap.h"

# The standard types the header uses, by name. pycparser reads C, not glibc's headers: the
# header's #include <...> lines are replaced by typedefs of these names (their underlying types
# do not matter to the parse; the layouts come from the compiler on the untouched header).
STANDARD = {
    "char": c_char, "int": c_int, "unsigned": c_uint, "unsigned int": c_uint, "float": c_float,
    "double": c_double, "size_t": c_size_t, "ptrdiff_t": c_ssize_t,
    "int8_t": c_int8, "int16_t": c_int16, "int32_t": c_int32, "int64_t": c_int64,
    "uint8_t": c_uint8, "uint16_t": c_uint16, "uint32_t": c_uint32, "uint64_t": c_uint64,
}
PRELUDE = "".join(f"typedef int {name};\n" for name in STANDARD if " " not in name and name not in
                  ("char", "int", "unsigned", "float", "double"))


@dataclass
class Header:
    """What the header declares, in declaration order."""
    structs: dict = field(default_factory=dict)    # name -> [(field, type node)]
    opaque: set = field(default_factory=set)       # typedef'd structs without a body (handles)
    enums: dict = field(default_factory=dict)      # name -> [(enumerator, value)]
    callbacks: dict = field(default_factory=dict)  # name -> FuncDecl node (function pointer typedef)
    functions: dict = field(default_factory=dict)  # name -> FuncDecl node
    c_names: dict = field(default_factory=dict)    # struct name -> how C spells the type
    layout: dict = field(default_factory=dict)     # "struct" / "struct.field" / "FS_X" -> number


def _preprocessed(cc: str) -> str:
    text = HEADER.read_text()
    text = re.sub(r"(?m)^\s*#\s*include\s*<[^>]*>\s*$", "", text)
    run = subprocess.run([cc, "-E", "-P", "-x", "c", "-D__attribute__(x)=", "-"],
                         input=PRELUDE + text, capture_output=True, text=True)
    assert run.returncode == 0, f"the C preprocessor failed on {HEADER}:\n{run.stderr}"
    return run.stdout


def _const(node) -> int:
    from pycparser import c_ast
    if isinstance(node, c_ast.Constant):
        return int(node.value.rstrip("uUlL"), 0)
    if isinstance(node, c_ast.UnaryOp) and node.op == "-":
        return -_const(node.expr)
    raise AssertionError(f"cannot evaluate {node!r} in {HEADER.name}")


def _parse(cc: str) -> Header:
    try:
        from pycparser import c_ast, c_parser
    except ImportError:
        pytest.fail("pycparser is missing: `python3 -m pip install pycparser` (.ci/install-deps "
                    "installs it); it reads include/faceswap.h for this test")
    ast = c_parser.CParser().parse(_preprocessed(cc), str(HEADER))
    h = Header()

    def struct(node, c_name):
        if node.decls is None:
            h.opaque.add(c_name)
            return
        h.structs[c_name] = [(d.name, d) for d in node.decls]

    def enum(node, name):
        values, nxt = [], 0
        for e in node.values.enumerators:
            nxt = _const(e.value) if e.value is not None else nxt
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
            else:
                raise AssertionError(f"{HEADER.name}: typedef {ext.name} is of a kind this test "
                                     "does not know; teach test_capi_header.py to check it")
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.FuncDecl):
            h.functions[ext.name] = ext.type
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Struct) and ext.type.decls:
            struct(ext.type, ext.type.name)
            h.c_names[ext.type.name] = "struct " + ext.type.name
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Enum):
            enum(ext.type, ext.type.name)
        else:
            raise AssertionError(f"{HEADER.name}: a declaration this test does not know: "
                                 f"{ext.coord}; teach test_capi_header.py to check it")
    return h


def _compile_layout(cc: str, h: Header, tmp) -> dict:
    """sizeof and offsetof from the compiler, and the value of every FS_ integer #define."""
    # object-like macros whose value is a number or a parenthesised expression
    defines = re.findall(r"(?m)^[ \t]*#[ \t]*define[ \t]+(FS_[A-Z0-9_]+)[ \t]+[(0-9]",
                         HEADER.read_text())
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "faceswap.h"',
             "int main(void) {"]
    for name, fields in h.structs.items():
        c = h.c_names[name]
        lines.append(f'printf("{name} %zu\\n", sizeof({c}));')
        for f, _ in fields:
            lines.append(f'printf("{name}.{f} %zu\\n", offsetof({c}, {f}));')
    for d in defines:
        lines.append(f'printf("{d} %lld\\n", (long long)({d}));')
    lines += ["return 0;", "}"]
    src = tmp / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp / "layout"
    build = subprocess.run([cc, "-std=c11", "-I", str(HEADER.parent), "-o", str(exe), str(src)],
                           capture_output=True, text=True)
    assert build.returncode == 0, f"the layout program did not compile:\n{build.stderr}"
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines())}


@pytest.fixture(scope="module")
def header(tmp_path_factory) -> Header:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        skip_without("a C compiler", "to read include/faceswap.h and its struct layouts")
    h = _parse(cc)
    h.layout = _compile_layout(cc, h, tmp_path_factory.mktemp("capi_header"))
    return h


# ------------------------------------------------------------------------------------------------
# C types -> the ctypes types the binding must declare
# ------------------------------------------------------------------------------------------------

def _ctype(fs, h: Header, node, where: str, param: bool = False):
    """The ctypes type for a pycparser type node (None for void)."""
    from pycparser import c_ast
    capi = fs.capi
    if isinstance(node, c_ast.TypeDecl):
        inner = node.type
        if isinstance(inner, c_ast.IdentifierType):
            name = " ".join(inner.names)
            if name == "void":
                return None
            if name in STANDARD:
                return STANDARD[name]
            if name in h.enums:
                return c_int  # C enums are passed and stored as int
            if name in h.callbacks:
                return _mirror(capi, name, where)
            if name in h.structs:
                return _mirror(capi, name, where)
            raise AssertionError(f"{where}: the type {name} is unknown to this test")
        if isinstance(inner, (c_ast.Struct, c_ast.Enum)):
            return c_int if isinstance(inner, c_ast.Enum) else _mirror(capi, inner.name, where)
    if isinstance(node, c_ast.ArrayDecl):
        elem = _ctype(fs, h, node.type, where)
        if param:  # an array parameter is a pointer
            return POINTER(elem)
        return elem * _const(node.dim)
    if isinstance(node, c_ast.PtrDecl):
        target = node.type
        if isinstance(target, c_ast.TypeDecl) and isinstance(target.type, c_ast.IdentifierType):
            name = " ".join(target.type.names)
            if name == "void" or name in h.opaque:
                return c_void_p  # void * and handles (fs_image *, const fs_detector *, ...)
            if name == "char":
                return c_char_p if "const" in target.quals else POINTER(c_char)
        if isinstance(target, c_ast.FuncDecl):
            raise AssertionError(f"{where}: a bare function pointer; the header names them by typedef")
        return POINTER(_ctype(fs, h, target, where))
    raise AssertionError(f"{where}: a C type this test does not know: {node!r}")


def _mirror(capi, name: str, where: str):
    mirror = getattr(capi, name, None)
    assert mirror is not None, f"{where}: capi has no {name} (the header's type)"
    return mirror


def _same(a, b) -> bool:
    """Whether two ctypes types are the same C type on this machine."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if issubclass(a, ctypes.Array) and issubclass(b, ctypes.Array):
        return a._length_ == b._length_ and _same(a._type_, b._type_)
    if issubclass(a, ctypes._Pointer) and issubclass(b, ctypes._Pointer):
        return _same(a._type_, b._type_)
    if issubclass(a, ctypes._CFuncPtr) and issubclass(b, ctypes._CFuncPtr):
        return (_same(a._restype_, b._restype_) and len(a._argtypes_) == len(b._argtypes_)
                and all(_same(x, y) for x, y in zip(a._argtypes_, b._argtypes_)))
    return False


def _c(node) -> str:
    """A declaration as C spells it, e.g. `size_t count`."""
    from pycparser import c_generator
    return c_generator.CGenerator().visit(node).strip()


def _show(t) -> str:
    if t is None:
        return "None (void)"
    if issubclass(t, ctypes.Array):
        return f"{_show(t._type_)} * {t._length_}"
    if issubclass(t, ctypes._Pointer):
        return f"POINTER({_show(t._type_)})"
    return t.__name__


def _mirrors(capi, items: dict, base: type, what: str, problems: list):
    """(name, header's item, capi's mirror) for each item capi mirrors by name as a ``base``; a
    problem for each it does not."""
    for name, item in items.items():
        mirror = getattr(capi, name, None)
        if isinstance(mirror, type) and issubclass(mirror, base):
            yield name, item, mirror
        else:
            problems.append(f"{name}: capi has no {what} of that name")


def _params(fs, h: Header, func, where: str) -> list:
    from pycparser import c_ast
    params = func.args.params if func.args is not None else []
    if (len(params) == 1 and isinstance(params[0].type, c_ast.TypeDecl)
            and isinstance(params[0].type.type, c_ast.IdentifierType)
            and params[0].type.type.names == ["void"]):
        return []
    return [_ctype(fs, h, p.type, f"{where} argument {i + 1} ({p.name})", param=True)
            for i, p in enumerate(params)]


# ------------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------------

def test_the_parse_sees_the_whole_header(header):
    """Guards the guard: every FS_API line is a parsed function, and the structs, enums and
    handles the header plainly declares are all found."""
    text = HEADER.read_text()
    api_lines = re.findall(r"(?m)^\s*FS_API\b[^;(]*?\b(fs_\w+)\s*\(", text)
    assert sorted(api_lines) == sorted(header.functions), (
        "FS_API declarations and parsed functions differ: "
        f"{sorted(set(api_lines) ^ set(header.functions))}")
    assert len(header.functions) >= 79
    for kind, names, found in (
            ("struct", re.findall(r"typedef struct (\w+) \{", text), header.structs),
            ("enum", re.findall(r"typedef enum (\w+) \{", text), header.enums),
            ("handle", re.findall(r"typedef struct (\w+) \1;", text), header.opaque)):
        assert sorted(names) == sorted(found), f"{kind}s: {sorted(set(names) ^ set(found))}"
    assert header.callbacks.keys() == {"fs_progress_fn", "fs_train_fn"}


def test_every_struct_has_the_headers_fields_offsets_and_size(fs, header):
    """Each struct of the header has a ctypes mirror in capi with the same fields in the same
    order, each of the mapped type, at the compiler's offset; and the compiler's size."""
    capi = fs.capi
    problems = []
    for name, fields, cls in _mirrors(capi, header.structs, ctypes.Structure, "ctypes.Structure",
                                      problems):
        mirror = [(f[0], f[1]) for f in cls._fields_]
        want = [f for f, _ in fields]
        got = [f for f, _ in mirror]
        if got != want:
            missing = [f for f in want if f not in got]
            extra = [f for f in got if f not in want]
            problems.append(f"{name}: fields {got} but the header has {want}"
                            + (f" (missing: {missing})" if missing else "")
                            + (f" (not in the header: {extra})" if extra else ""))
            continue
        for (fname, decl), (_, ctype) in zip(fields, mirror):
            expected = _ctype(fs, header, decl.type, f"{name}.{fname}")
            if not _same(expected, ctype):
                problems.append(f"{name}.{fname}: capi declares {_show(ctype)}; the header has "
                                f"`{_c(decl)}`, which is {_show(expected)}")
            offset = header.layout[f"{name}.{fname}"]
            if getattr(cls, fname).offset != offset:
                problems.append(f"{name}.{fname}: capi offset {getattr(cls, fname).offset}, "
                                f"the compiler's {offset}")
        if ctypes.sizeof(cls) != header.layout[name]:
            problems.append(f"{name}: capi sizeof {ctypes.sizeof(cls)}, the compiler's "
                            f"{header.layout[name]}")
    assert not problems, "capi.py does not mirror include/faceswap.h:\n  " + "\n  ".join(problems)


def test_capi_has_no_struct_the_header_lacks(fs, header):
    capi = fs.capi
    stale = [n for n, v in vars(capi).items() if n.startswith("fs_") and isinstance(v, type)
             and issubclass(v, ctypes.Structure) and n not in header.structs]
    assert not stale, f"capi mirrors structs that include/faceswap.h does not declare: {stale}"


def test_every_function_has_the_headers_return_and_argument_types(fs, header):
    """Each FS_API function has restype and argtypes declared in capi, mapped from the header:
    the same count and type of arguments."""
    lib = fs.capi.lib
    problems = []
    for name, func in header.functions.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            problems.append(f"{name}: the library does not export it")
            continue
        restype = _ctype(fs, header, func.type, f"{name} return type")
        params = _params(fs, header, func, name)
        decls = func.args.params if params else []
        if fn.argtypes is None:
            problems.append(f"{name}: no argtypes declared in capi (the header has "
                            f"{len(params)} argument(s))")
            continue
        if not _same(restype, fn.restype):
            problems.append(f"{name}: restype {_show(fn.restype)}; the header declares "
                            f"`{_c(func)}`, which returns {_show(restype)}")
        if len(fn.argtypes) != len(params):
            problems.append(f"{name}: {len(fn.argtypes)} argtypes, the header has {len(params)} "
                            "arguments")
            continue
        for i, (got, want) in enumerate(zip(fn.argtypes, params)):
            if not _same(got, want):
                problems.append(f"{name}: argument {i + 1} is {_show(got)} in capi; the header "
                                f"has `{_c(decls[i])}`, which is {_show(want)}")
    assert not problems, "capi.py does not declare include/faceswap.h's functions as the " \
                         "header does:\n  " + "\n  ".join(problems)


def test_every_callback_type_matches_the_header(fs, header):
    capi = fs.capi
    problems = []
    for name, func, cb in _mirrors(capi, header.callbacks, ctypes._CFuncPtr, "CFUNCTYPE", problems):
        want = ctypes.CFUNCTYPE(_ctype(fs, header, func.type, f"{name} return type"),
                                *_params(fs, header, func, name))
        if not _same(cb, want):
            problems.append(f"{name}: capi has ({_show(cb._restype_)}; "
                            f"{', '.join(map(_show, cb._argtypes_))}), the header "
                            f"({_show(want._restype_)}; {', '.join(map(_show, want._argtypes_))})")
    assert not problems, "\n".join(problems)


def _enum_class(name: str) -> str:
    """fs_pixel_format -> PixelFormat: the capi IntEnum mirroring a header enum."""
    return "".join(part.capitalize() for part in name.removeprefix("fs_").split("_"))


def test_every_enum_is_mirrored_with_the_headers_values(fs, header):
    """Each header enum has an IntEnum in capi (fs_color_mode -> ColorMode) whose members are its
    enumerators without their prefix (FS_COLOR_HISTOGRAM -> HISTOGRAM), with the same values."""
    capi = fs.capi
    problems = []
    for name, values in header.enums.items():
        cls = getattr(capi, _enum_class(name), None)
        if cls is None:
            problems.append(f"{name}: capi has no IntEnum {_enum_class(name)}")
            continue
        members = {m.name: int(m.value) for m in cls}
        for enumerator, value in values:
            match = [m for m in members if enumerator.endswith("_" + m)]
            if not match:
                problems.append(f"{name}: {enumerator} = {value} has no member in capi.{cls.__name__}")
            elif members[max(match, key=len)] != value:
                m = max(match, key=len)
                problems.append(f"{name}: capi.{cls.__name__}.{m} = {members[m]}, the header's "
                                f"{enumerator} = {value}")
        if len(members) != len(values):
            problems.append(f"{name}: capi.{cls.__name__} has {len(members)} members, the header "
                            f"{len(values)} enumerators")
    assert not problems, "\n".join(problems)


def test_the_constants_capi_mirrors_have_the_headers_values(fs, header):
    """FS_ABI_VERSION, FS_STRUCT_SIZE_MAX, FS_MAX_*, FS_EMBEDDING_SIZE as the compiler evaluates
    them; the package version is the header's."""
    capi = fs.capi
    mirrored = {k: v for k, v in header.layout.items() if k.startswith("FS_")
                and hasattr(capi, k.removeprefix("FS_"))}
    assert len(mirrored) >= 6, sorted(mirrored)
    for key, value in mirrored.items():
        assert getattr(capi, key.removeprefix("FS_")) == value, key
    v = header.layout
    assert fs.__version__ == f"{v['FS_VERSION_MAJOR']}.{v['FS_VERSION_MINOR']}.{v['FS_VERSION_PATCH']}"
