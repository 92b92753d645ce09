"""The ctypes mirror (bindings/python/faceswap/capi.py) against include/faceswap.h, all of it.

capi.py is generated from the header by bindings/python/gen_capi.py (`make build`). The header is
read as the generator reads it (the C preprocessor, then pycparser), so every struct, enum, callback
type and FS_API function it declares is listed from the header itself. This test maps each C type
to the ctypes type the binding must use with its own table (enums: c_int; pointers to opaque
handles: c_void_p; const char *: c_char_p; other pointers and array parameters: POINTER(...)), and
takes offsets, sizes, macro and enumerator values from a C compiler on the real header, not from
the parse. It also checks that the capi.py in use is the generation of this header, and that the
generator mirrors what the header may gain (a struct with a callback field, an enum, a constant,
an FS_EXPERIMENTAL function) with no edit.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import sys
from ctypes import (POINTER, c_bool, c_char, c_char_p, c_double, c_float, c_int, c_int8, c_int16,
                    c_int32, c_int64, c_size_t, c_ssize_t, c_uint, c_uint8, c_uint16, c_uint32,
                    c_uint64, c_void_p)
from pathlib import Path

import pytest

from conftest import BINDING, REPO, skip_without

sys.path.insert(0, str(BINDING))
import gen_capi  # noqa: E402  (bindings/python/gen_capi.py: writes capi.py from the header)
from gen_capi import Header  # noqa: E402

HEADER = REPO / "include" / "faceswap.h"

# The standard types the header uses, by name, as ctypes types: this test's own mapping, to check
# the generator's (gen_capi.STANDARD, as source text) against.
STANDARD = {
    "char": c_char, "int": c_int, "unsigned": c_uint, "unsigned int": c_uint, "float": c_float,
    "double": c_double, "size_t": c_size_t, "ptrdiff_t": c_ssize_t, "bool": c_bool,
    "int8_t": c_int8, "int16_t": c_int16, "int32_t": c_int32, "int64_t": c_int64,
    "uint8_t": c_uint8, "uint16_t": c_uint16, "uint32_t": c_uint32, "uint64_t": c_uint64,
}


def _parse(cc: str, header=HEADER) -> Header:
    """The header as gen_capi reads it (cc -E, then pycparser): the one reading of the header."""
    try:
        return gen_capi.read_header(header, cc)
    except gen_capi.HeaderError as e:
        pytest.fail(str(e))


def _const(node) -> int:
    return gen_capi.const(node, HEADER.name)


def _compile_layout(cc: str, h: Header, tmp, header=HEADER) -> dict:
    """sizeof and offsetof from the compiler, the value of every FS_ integer #define and of every
    enumerator (the parse's names, the compiler's values)."""
    # object-like macros whose value is a number or a parenthesised expression
    defines = re.findall(r"(?m)^[ \t]*#[ \t]*define[ \t]+(FS_[A-Z0-9_]+)[ \t]+[(0-9]",
                         header.read_text())
    lines = ['#include <stdio.h>', '#include <stddef.h>', f'#include "{header.name}"',
             "int main(void) {"]
    for name, fields in h.structs.items():
        c = h.c_names[name]
        lines.append(f'printf("{name} %zu\\n", sizeof({c}));')
        for f, _ in fields:
            lines.append(f'printf("{name}.{f} %zu\\n", offsetof({c}, {f}));')
    for d in defines + [e for values in h.enums.values() for e, _ in values]:
        lines.append(f'printf("{d} %lld\\n", (long long)({d}));')
    lines += ["return 0;", "}"]
    src = tmp / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp / "layout"
    build = subprocess.run([cc, "-std=c11", "-I", str(header.parent), "-o", str(exe), str(src)],
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
            if name in h.aliases:
                return _ctype(fs, h, h.aliases[name], where)
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
    enumerators without their prefix (FS_COLOR_HISTOGRAM -> HISTOGRAM), with the values the C
    compiler gives them."""
    capi = fs.capi
    problems = []
    for name, values in header.enums.items():
        cls = getattr(capi, _enum_class(name), None)
        if cls is None:
            problems.append(f"{name}: capi has no IntEnum {_enum_class(name)}")
            continue
        members = {m.name: int(m.value) for m in cls}
        for enumerator, _ in values:
            match = [m for m in members if enumerator.endswith("_" + m)]
            if not match:
                problems.append(f"{name}: {enumerator} = {header.layout[enumerator]} has no member in capi.{cls.__name__}")
            elif members[max(match, key=len)] != header.layout[enumerator]:
                m = max(match, key=len)
                problems.append(f"{name}: capi.{cls.__name__}.{m} = {members[m]}, the compiler's "
                                f"{enumerator} = {header.layout[enumerator]}")
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


# ------------------------------------------------------------------------------------------------
# The generator
# ------------------------------------------------------------------------------------------------

def test_capi_py_is_the_generation_of_this_header(fs, header):
    """The capi.py imported is what gen_capi.py writes for the header today: a header edited
    since the last `make build` (or `make capi`) fails here, not in some later call."""
    path = Path(fs.capi.__file__)
    fresh = gen_capi.generate(header)
    assert path.read_text() == fresh, (
        f"{path} is not the generation of {HEADER}: run `make capi` (make build does)")


# What a later version of the header may add, appended to a copy of it: a constant, an enum, a
# callback type taking a new struct, a scalar typedef, a growable options struct with a callback,
# an enum, an array of strings, an array of structs and a bool, and two FS_EXPERIMENTAL functions
# the library does not export.
ADDITION = """
#include <stdbool.h>
#define FS_GEN_LIMIT (3 << 4)
typedef enum fs_gen_kind { FS_GEN_KIND_ONE = 1, FS_GEN_KIND_FOUR = 4, FS_GEN_KIND_FIVE } fs_gen_kind;
typedef struct fs_gen_event { uint32_t struct_size; int64_t frame; double score[2]; } fs_gen_event;
typedef int (*fs_gen_fn)(void *user, const fs_gen_event *event);
typedef uint16_t fs_gen_flags;
typedef struct fs_gen_options {
    uint32_t struct_size;
    fs_gen_kind kind;
    fs_gen_fn on_event;
    const char *const *names;
    fs_point corners[3];
    char label[FS_GEN_LIMIT];
    uint8_t flag;
    fs_gen_flags flags;
    bool strict;
    double weight;
} fs_gen_options;
FS_EXPERIMENTAL
FS_API fs_status fs_gen_options_init(fs_gen_options *options, size_t size);
FS_EXPERIMENTAL
FS_API fs_status fs_gen_run(const fs_detector *detector, const fs_gen_options *options,
                            fs_gen_fn fn, void *user, fs_image **out);
"""


def test_the_generator_mirrors_what_the_header_may_gain(fs, tmp_path):
    """A copy of the header with ADDITION appended, generated into a throw-away package: the new
    enum, constant, callback, structs (at the compiler's offsets and sizes) and functions are all
    in it, and it imports against today's library, which lacks the new functions."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        skip_without("a C compiler", "to read the header and its struct layouts")
    grown = tmp_path / "faceswap.h"
    grown.write_text(HEADER.read_text() + ADDITION)
    h = _parse(cc, grown)
    layout = _compile_layout(cc, h, tmp_path, grown)
    package = tmp_path / "fsgen_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(BINDING / "faceswap" / "_library.py", package / "_library.py")
    (package / "capi.py").write_text(gen_capi.generate(h))
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib
        capi = importlib.import_module("fsgen_pkg.capi")
    finally:
        sys.path.remove(str(tmp_path))

    assert capi.GEN_LIMIT == layout["FS_GEN_LIMIT"] == 48
    assert {m.name: int(m) for m in capi.GenKind} == {
        "ONE": layout["FS_GEN_KIND_ONE"], "FOUR": layout["FS_GEN_KIND_FOUR"],
        "FIVE": layout["FS_GEN_KIND_FIVE"]}
    for name in ("fs_gen_event", "fs_gen_options"):
        cls = getattr(capi, name)
        assert ctypes.sizeof(cls) == layout[name], name
        for fname, _ in h.structs[name]:
            assert getattr(cls, fname).offset == layout[f"{name}.{fname}"], f"{name}.{fname}"
    opts = dict(capi.fs_gen_options._fields_)
    assert opts["on_event"] is capi.fs_gen_fn
    assert _show(opts["names"]) == "POINTER(c_char_p)"
    assert _show(opts["label"]) == "c_char * 48"
    assert opts["flags"] is capi.fs_gen_flags is ctypes.c_uint16 and opts["strict"] is c_bool
    assert capi.fs_gen_fn._argtypes_[1]._type_ is capi.fs_gen_event
    # an output struct (struct_size first, no init function) sets its size; an options struct
    # does not (new_options does, through its init function)
    assert capi.fs_gen_event().struct_size == ctypes.sizeof(capi.fs_gen_event)
    assert capi.fs_gen_options().struct_size == 0
    assert capi._OPTIONS_INIT[capi.fs_gen_options] == "fs_gen_options_init"
    functions = {name: (ret, args) for name, ret, args in capi._FUNCTIONS}
    ret, args = functions["fs_gen_run"]
    assert ret is c_int and [_show(a) for a in args] == [
        "c_void_p", "POINTER(fs_gen_options)", "CFunctionType", "c_void_p", "POINTER(c_void_p)"]
    assert args[2] is capi.fs_gen_fn
    # today's functions are declared as before; the new ones, missing from the library, are not
    assert capi.lib.fs_abi_version() == capi.ABI_VERSION
    with pytest.raises(AttributeError, match="fs_gen_run"):
        capi.lib.fs_gen_run


def test_the_generator_refuses_what_it_cannot_mirror(tmp_path):
    """A union or a bit-field stops the generator with a message naming it (never a wrong mirror)."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        skip_without("a C compiler", "to read the header")
    for extra, says in (("typedef union fs_gen_u { int a; float b; } fs_gen_u;\n", "fs_gen_u"),
                        ("typedef struct fs_gen_b { unsigned a : 3; } fs_gen_b;\n", "bit-field")):
        grown = tmp_path / "faceswap.h"
        grown.write_text(HEADER.read_text() + extra)
        with pytest.raises(gen_capi.HeaderError, match=says):
            gen_capi.generate(gen_capi.read_header(grown, cc))
