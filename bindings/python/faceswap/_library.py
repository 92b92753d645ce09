"""Finding and loading libfaceswap, for the generated :mod:`faceswap.capi`.

capi.py is written by ``bindings/python/gen_capi.py`` from include/faceswap.h; what cannot come
from the header lives here: where the library is looked for, the ABI check, the base class of the
structs the library fills, and declaring the functions on the loaded library.

Finding the library, in order:

1. the environment variable ``FACESWAP_LIBRARY`` (full path of ``libfaceswap.so``);
2. ``libfaceswap.so`` in this package's own folder (copy it there to ship it with the package,
   with ``libfaceswap-video.so``: the library loads that module from its own folder for video);
3. the system's library path: ``ctypes.util.find_library("faceswap")``, ``libfaceswap.so.0``,
   ``libfaceswap.so``, then ``/usr/local/lib/libfaceswap.so.0`` and ``/usr/lib/libfaceswap.so.0``
   (where ``make install`` puts it, in case ldconfig has not run).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os


class LibraryNotFoundError(ImportError):
    """libfaceswap could not be loaded, or its ABI version does not match this binding."""


class OutputStruct(ctypes.Structure):
    """An output struct the library fills: struct_size (its first field) is set to the struct's
    size on creation, as the header asks of every caller, so the library writes at most that many
    bytes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)


_HERE = os.path.dirname(os.path.abspath(__file__))


def _find() -> tuple[ctypes.CDLL, str]:
    tried: list[str] = []

    env = os.environ.get("FACESWAP_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise LibraryNotFoundError(
                f"cannot load libfaceswap from FACESWAP_LIBRARY={env!r}: {e}. "
                "Set FACESWAP_LIBRARY to the full path of an existing libfaceswap.so "
                "(e.g. <repo>/.build/release/libfaceswap.so after 'make build'), or unset it to "
                "search the package folder and the system library path."
            ) from e
    else:
        tried.append("$FACESWAP_LIBRARY (not set)")

    local = os.path.join(_HERE, "libfaceswap.so")
    if os.path.exists(local):
        try:
            return ctypes.CDLL(local), local
        except OSError as e:
            tried.append(f"{local} ({e})")
    else:
        tried.append(f"{local} (no such file)")

    candidates: list[str] = []
    found = ctypes.util.find_library("faceswap")
    if found:
        candidates.append(found)
    else:
        tried.append("ctypes.util.find_library('faceswap') (nothing found)")
    for name in ("libfaceswap.so.0", "libfaceswap.so"):
        if name not in candidates:
            candidates.append(name)
    # `make install` puts the library in PREFIX/lib; /usr/local/lib is only searched through
    # the ld.so cache, which is stale until ldconfig runs, so try the usual prefixes by path.
    for prefix in ("/usr/local/lib", "/usr/lib"):
        candidates.append(os.path.join(prefix, "libfaceswap.so.0"))
    for name in candidates:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            where = "" if os.path.isabs(name) else " on the system library path"
            tried.append(f"{name}{where} ({e})")

    raise LibraryNotFoundError(
        "cannot find libfaceswap. Looked in: " + "; ".join(tried) + ". "
        "Set FACESWAP_LIBRARY to the full path of libfaceswap.so (built by 'make build' into "
        f".build/release/), copy it into {_HERE}, or run the install step ('make install') so "
        "the system loader finds it."
    )


def load(abi_version: int) -> tuple[ctypes.CDLL, str]:
    """The library and where it was found; refuses one whose fs_abi_version() is not
    ``abi_version`` (the header's FS_ABI_VERSION this binding was generated from)."""
    lib, path = _find()
    lib.fs_abi_version.restype = ctypes.c_int
    lib.fs_abi_version.argtypes = []
    abi = lib.fs_abi_version()
    if abi != abi_version:
        raise LibraryNotFoundError(
            f"libfaceswap at {path!r} has ABI version {abi}, but this Python binding was "
            f"generated for ABI version {abi_version}. Install the binding that matches the "
            "library (bindings/python of the same source tree), or point FACESWAP_LIBRARY at a "
            "matching libfaceswap.so."
        )
    return lib, path


def declare(lib: ctypes.CDLL, functions) -> None:
    """Sets restype and argtypes of each (name, restype, argtypes) on ``lib``. A function this
    library does not export (an older library of the same ABI: functions are only ever added)
    is left out; using it raises AttributeError naming the missing symbol."""
    for name, restype, argtypes in functions:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype
            fn.argtypes = argtypes
