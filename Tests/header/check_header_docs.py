#!/usr/bin/env python3
"""check_header_docs.py [HEADER [BAD_INPUT_TABLE ...]] — include/faceswap.h documents every function
and marks its experimental tier. Python 3, no dependencies. Exits 1 naming every fault:
(check_header_docs.py --experimental [HEADER] prints the experimental section's functions.)

  - every FS_API declaration starts its line (Tests/python/test_capi_header.py and other scripts
    find functions by "^FS_API ... fs_name(") and has its own comment immediately before it (only an
    FS_EXPERIMENTAL line may stand between them), which
      * starts with a one-line summary: the comment's first line ends a sentence;
      * has an "Errors:" line: "Errors: none" for a function that returns no fs_status, else
        the fs_status names (FS_ERR_ left out, or not) it returns;
  - when a bad-input table is found (default: Tests/c/bad_input_table*.h and any under Tests/c/),
    every failing status a row of the table expects of a function is named on its Errors: line;
  - the header has one line starting "/* BEGIN EXPERIMENTAL SECTION" and one starting
    "/* END EXPERIMENTAL SECTION", the section lying between them; every FS_API function inside it has
    FS_EXPERIMENTAL on the line before, and FS_EXPERIMENTAL appears nowhere else (outside comments
    and its own #define);
  - the learned-conversion functions (LEARNED below: the experimental tier as issue 14 names it)
    are all inside the section.
"""
from __future__ import annotations

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_HEADER = os.path.join(ROOT, "include", "faceswap.h")

# The experimental tier by name: face extraction, the learned-model file API, the learned swapper,
# training. (fs_model_find is not one: it finds the dlib model files of the stable tier.)
LEARNED = re.compile(r"^fs_(extract\w*|model_(load|free|get_info)|swapper_create_learned|train\w*)$")

BEGIN = "BEGIN EXPERIMENTAL SECTION"
END = "END EXPERIMENTAL SECTION"


def blank_comments(text: str) -> str:
    """The text with every /* comment */ replaced by spaces (newlines kept: line numbers hold)."""
    return re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def statuses(text: str) -> list[str]:
    """The names of fs_status, without FS_ERR_ (OK excluded), from the header's own enum."""
    m = re.search(r"typedef enum fs_status \{(.*?)\} fs_status;", text, re.S)
    if not m:
        return []
    return re.findall(r"\bFS_ERR_([A-Z_]+)\s*=", blank_comments(m.group(1)))


def comment_before(lines: list[str], at: int):
    """(first line index, comment text lines) of the comment ending on the line before `at`,
    skipping FS_EXPERIMENTAL lines; None when that line is not the end of a comment of its own."""
    i = at - 1
    while i >= 0 and lines[i].strip() == "FS_EXPERIMENTAL":
        i -= 1
    if i < 0 or not lines[i].rstrip().endswith("*/"):
        return None
    j = i
    while j >= 0 and "/*" not in lines[j]:
        j -= 1
    if j < 0 or not lines[j].lstrip().startswith("/*"):
        return None  # a trailing comment after code (a struct field's), not a comment of its own
    body = []
    for k in range(j, i + 1):
        s = lines[k].strip()
        if k == j:
            s = s[2:]
        if k == i:
            s = s[: s.rfind("*/")]
        s = s.strip()
        if k != j and s.startswith("*"):
            s = s[1:].strip()
        body.append(s)
    while body and not body[0]:
        body.pop(0)
    return j, body


def summary_fault(body: list[str]) -> str | None:
    if not body or not body[0]:
        return "an empty comment"
    first = body[0]
    if first.startswith("Errors:"):
        return "no summary (the comment starts with Errors:)"
    plain = re.sub(r"\b(e\.g|i\.e|etc|vs)\.", "", first)
    if not re.search(r"[.!?](\"|'|\))?(\s|$)", plain):
        return f"no one-line summary (the first line ends no sentence: {first!r})"
    return None


def errors_text(body: list[str]) -> str | None:
    """What follows the first "Errors:" that starts a line or a sentence, to the comment's end."""
    text = "\n".join(body)
    m = re.search(r"(?:^|[.;)]\s+)Errors:(.*)", text, re.S | re.M)
    return " ".join(m.group(1).split()) if m else None


def table_rows(paths: list[str]) -> dict[str, set[str]]:
    """function -> the failing statuses (without FS_ERR_) its bad-input rows expect."""
    rows: dict[str, set[str]] = {}
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for m in re.finditer(r"^ROW\((\w+),\s*\"(?:[^\"\\]|\\.)*\",\s*(\w+)", f.read(), re.M):
                if m.group(2) != "FS_OK":
                    rows.setdefault(m.group(1), set()).add(re.sub(r"^FS_ERR_", "", m.group(2)))
    return rows


def check(header: str, tables: list[str]) -> tuple[list[str], list[str]]:
    with open(header, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    code = blank_comments(text).split("\n")
    faults: list[str] = []
    notes: list[str] = []
    known = statuses(text)
    if not known:
        faults.append("cannot find the fs_status enum (typedef enum fs_status { ... } fs_status;)")

    begins = [i for i, l in enumerate(lines) if l.startswith("/* " + BEGIN)]
    ends = [i for i, l in enumerate(lines) if l.startswith("/* " + END)]
    if len(begins) != 1 or len(ends) != 1 or begins[0] >= ends[0]:
        faults.append(f"the header needs exactly one '/* {BEGIN}' line before one '/* {END}' line "
                      f"(found {len(begins)} and {len(ends)})")
        section = range(0)
    else:
        section = range(begins[0], ends[0] + 1)

    rows = table_rows(tables)
    functions = []
    for i, line in enumerate(code):
        if not re.search(r"\bFS_API\b", line) or line.lstrip().startswith("#"):
            continue
        decl = " ".join(code[i:i + 12])
        decl = decl[: decl.find(";") + 1] if ";" in decl else decl
        m = re.search(r"\b(fs_\w+)\s*\(", decl)
        name = m.group(1) if m else f"(line {i + 1})"
        functions.append(name)
        where = f"{name} (line {i + 1})"
        if not line.lstrip().startswith("FS_API"):
            faults.append(f"{where}: FS_API does not start the line (put FS_EXPERIMENTAL on the line "
                          "before; scripts find functions by '^FS_API ... fs_name(')")
        inside = i in section
        marked = i > 0 and lines[i - 1].strip() == "FS_EXPERIMENTAL"
        if inside and not marked:
            faults.append(f"{where}: in the experimental section without FS_EXPERIMENTAL on the line before")
        if LEARNED.match(name) and not inside:
            faults.append(f"{where}: a learned-conversion function outside the experimental section")

        found = comment_before(lines, i)
        if found is None:
            faults.append(f"{where}: no comment of its own immediately before the declaration")
            continue
        _, body = found
        fault = summary_fault(body)
        if fault:
            faults.append(f"{where}: {fault}")
        errs = errors_text(body)
        if errs is None:
            faults.append(f"{where}: no 'Errors:' line")
            continue
        returns_status = re.search(r"\bFS_API\s+fs_status\b", decl) is not None
        named = {s for s in known if re.search(rf"\b(FS_ERR_)?{s}\b", errs)}
        says_none = re.match(r"none\b", errs) is not None
        if returns_status and (says_none or not named):
            faults.append(f"{where}: returns fs_status but its Errors: line names no status: {errs!r}")
        if not returns_status and not says_none:
            faults.append(f"{where}: returns no fs_status, so its Errors: line should say 'none': {errs!r}")
        missing = sorted(rows.get(name, set()) - named)
        if missing:
            faults.append(f"{where}: the bad-input table expects {', '.join(missing)}, "
                          f"which its Errors: line does not name")

    # FS_EXPERIMENTAL only in the section, each right before an FS_API line (or in its #define).
    for i, line in enumerate(code):
        if re.search(r"\bFS_EXPERIMENTAL\b", line) is None:
            continue
        if line.lstrip().startswith("#") or (i > 0 and code[i - 1].rstrip().endswith("\\")):
            continue  # the macro's own definition
        if i not in section:
            faults.append(f"line {i + 1}: FS_EXPERIMENTAL outside the experimental section")
        elif line.strip() != "FS_EXPERIMENTAL" or i + 1 >= len(lines) or \
                not lines[i + 1].lstrip().startswith("FS_API"):
            faults.append(f"line {i + 1}: FS_EXPERIMENTAL must stand alone on the line before an FS_API declaration")

    if not functions:
        faults.append("no FS_API function found (parser broken?)")
    n_exp = sum(1 for i, l in enumerate(code) if i in section and re.match(r"\s*FS_API\b", l))
    notes.append(f"{len(functions)} FS_API functions, {len(functions) - n_exp} stable, {n_exp} experimental; "
                 f"bad-input rows of {len(rows)} functions cross-checked"
                 + (f" ({', '.join(os.path.relpath(t, ROOT) for t in tables)})" if tables else
                    " (no bad-input table found: cross-check skipped)"))
    return faults, notes


def experimental_functions(header: str) -> list[str]:
    """The functions declared between the section's markers (for Tests/header/run.sh)."""
    with open(header, encoding="utf-8") as f:
        text = f.read()
    raw, lines = text.split("\n"), blank_comments(text).split("\n")
    inside, names = False, []
    for i, line in enumerate(raw):
        if line.startswith("/* " + BEGIN):
            inside = True
        elif line.startswith("/* " + END):
            inside = False
        elif inside and re.match(r"\s*FS_API\b", lines[i]):
            m = re.search(r"\b(fs_\w+)\s*\(", " ".join(lines[i:i + 12]))
            if m:
                names.append(m.group(1))
    return names


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[1] == "--experimental":
        print("\n".join(experimental_functions(argv[2] if len(argv) > 2 else DEFAULT_HEADER)))
        return 0
    header = argv[1] if len(argv) > 1 else DEFAULT_HEADER
    if len(argv) > 2:
        tables = argv[2:]
    else:
        tables = sorted(set(glob.glob(os.path.join(ROOT, "Tests", "c", "**", "bad_input_table*.h"),
                                      recursive=True)))
    faults, notes = check(header, tables)
    for n in notes:
        print(f"check_header_docs: {n}")
    if faults:
        for f in faults:
            print(f"check_header_docs: FAIL: {f}")
        print(f"check_header_docs: FAILED ({len(faults)} faults in {os.path.relpath(header)})")
        return 1
    print("check_header_docs: OK: every function has a summary and an Errors: line; "
          "the experimental section is marked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
