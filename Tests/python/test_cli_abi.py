"""The CLI is a client of the C ABI (issue 14 item 5, "the front doors are equal"): its sources
import only the public header's module (CFaceSwapABI) and Glibc, and the built binary takes every
fs_* function from libfaceswap.so (undefined in it, NEEDED libfaceswap.so.0) and carries no code of
the Swift core (no symbol of the FaceSwap module) nor of the C++ shim (no fsx_* symbol)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("FACESWAP_CLI") or REPO / ".build" / "release" / "faceswap-cli")
SOURCES = REPO / "Sources" / "faceswap-cli"


def test_cli_sources_import_only_the_public_header():
    imports = {}
    for f in sorted(SOURCES.glob("*.swift")):
        for m in re.finditer(r"^[ \t]*(?:@\w+[ \t]+)*import[ \t]+(?:(?:struct|class|enum|func|var|let|typealias|protocol)[ \t]+)?([\w.]+)", f.read_text(), re.M):
            imports.setdefault(m.group(1), []).append(f.name)
    assert imports, "no imports found: the pattern is wrong"
    assert set(imports) <= {"CFaceSwapABI", "Glibc"}, imports


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} (binutils) is needed")
    return path


def test_cli_binary_resolves_fs_functions_from_libfaceswap():
    assert CLI.is_file(), f"no CLI at {CLI} (make build)"
    dyn = subprocess.run([_tool("readelf"), "-d", str(CLI)], capture_output=True, text=True, check=True).stdout
    assert "Shared library: [libfaceswap.so.0]" in dyn, dyn
    undefined = subprocess.run([_tool("nm"), "-D", "--undefined-only", str(CLI)], capture_output=True, text=True,
                               check=True).stdout.split()
    used = sorted(s for s in undefined if s.startswith("fs_"))
    for fn in ("fs_swap", "fs_detect", "fs_video_swap", "fs_draw_faces", "fs_image_montage", "fs_face_compare",
               "fs_option_check", "fs_trainer_run", "fs_extract", "fs_reenact_video"):
        assert fn in used, f"{fn} is not taken from the library: {used}"
    defined = subprocess.run([_tool("nm"), "--defined-only", str(CLI)], capture_output=True, text=True,
                             check=True).stdout
    names = [line.split()[-1] for line in defined.splitlines() if line.strip()]
    assert not [n for n in names if n.startswith("fs_") or n.startswith("fsx_")], "library code linked into the CLI"
    core = [n for n in names if "8FaceSwap" in n]  # Swift mangling of module FaceSwap: $s8FaceSwap...
    assert core == [], core[:10]
    assert len(names) > 100, "nm read no symbols (a stripped binary?): the check above proves nothing"


def test_cli_runs_and_reports_the_library_version():
    r = subprocess.run([str(CLI), "version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    header = (REPO / "include" / "faceswap.h").read_text()
    v = ".".join(re.search(rf"#define FS_VERSION_{k} (\d+)", header).group(1) for k in ("MAJOR", "MINOR", "PATCH"))
    abi = re.search(r"#define FS_ABI_VERSION (\d+)", header).group(1)
    assert r.stdout.strip() == f"faceswap {v} (ABI {abi})"


COMMANDS = ("detect", "swap", "video", "reenact", "extract", "train", "eval")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_a_command_help_names_is_accepted(command):
    """A flag that `faceswap COMMAND --help` names (its own, or "as for `faceswap swap`") is one
    the command takes: run with it alone, the CLI may say a value or a required flag is missing,
    never that the option is unknown. (`video` once refused --reverse and --keep-occluders, which
    its help offered.)"""
    help_text = subprocess.run([str(CLI), command, "--help"], capture_output=True, text=True, timeout=60).stdout
    # A quoted command line of another command (`faceswap train --faces-a DIR`) names its flags.
    help_text = re.sub(r"`faceswap ([\w-]+)[^`]*`", lambda m: m.group(0) if m.group(1) == command else "", help_text)
    flags = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text)) - {"--help"})
    assert len(flags) >= 2, f"no flags read from the help of {command}: {help_text[:400]}"
    refused = {}
    for flag in flags:
        r = subprocess.run([str(CLI), command, flag], capture_output=True, text=True, timeout=60)
        if "unknown option" in r.stderr:
            refused[flag] = r.stderr.strip()
    assert not refused, f"faceswap {command} --help names flags it refuses: {refused}"
