#!/usr/bin/env python3
"""tests/mutation/mutant.py: reads the mutant list for run.sh.

The list (mutants.txt) is a sequence of records:

    @ ID FILE            a mutant: its name and the file it edits (from the top)
    ? DESCRIPTION        one line: the rule the mutant breaks
    - TEXT               a line of the exact search text (several: joined by newlines)
    + TEXT               a line of its replacement (none: the search text is deleted)
    = REASON             optional: the mutant is equivalent (no test can tell), and why

"-" or "+" alone stands for an empty line.  Lines starting with "#" and
blank lines between records are comments.

    mutant.py parse LIST           check the list; print ID TAB FILE TAB EQUIV TAB DESC
    mutant.py check LIST TREE      every search text occurs exactly once in TREE
    mutant.py apply LIST ID TREE   edit TREE/FILE; fails unless the search
                                   text occurs exactly once
"""
import os
import re
import sys


def die(msg):
    sys.stderr.write("%s\n" % msg)
    sys.exit(2)


def parse(path):
    muts, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            where = "%s:%d" % (path, n)
            if line.startswith("@ "):
                parts = line[2:].split()
                if len(parts) != 2 or not re.fullmatch(r"[A-Za-z0-9._-]+", parts[0]):
                    die("%s: expected `@ ID FILE'" % where)
                cur = {"id": parts[0], "file": parts[1], "desc": None, "search": [],
                       "repl": [], "equiv": None, "line": n}
                muts.append(cur)
            elif line == "" or line.startswith("#"):
                continue
            elif cur is None:
                die("%s: text before the first `@ ID FILE'" % where)
            elif line[:2] in ("? ", "= ") or line in ("-", "+") or line[:2] in ("- ", "+ "):
                tag, text = line[0], line[2:]
                if tag == "?":
                    if cur["desc"] is not None:
                        die("%s: a second description" % where)
                    cur["desc"] = text
                elif tag == "=":
                    cur["equiv"] = text
                elif tag == "-":
                    if cur["repl"]:
                        die("%s: search text after the replacement" % where)
                    cur["search"].append(text)
                else:
                    cur["repl"].append(text)
            else:
                die("%s: a line must start with `@ ', `? ', `- ', `+ ', `= ' or `#'" % where)
    seen = set()
    for m in muts:
        where = "%s:%d" % (path, m["line"])
        if m["id"] in seen:
            die("%s: mutant %s listed twice" % (where, m["id"]))
        seen.add(m["id"])
        if not m["desc"]:
            die("%s: mutant %s has no `? description'" % (where, m["id"]))
        if not m["search"]:
            die("%s: mutant %s has no `- search text'" % (where, m["id"]))
        if m["search"] == m["repl"]:
            die("%s: mutant %s changes nothing" % (where, m["id"]))
    return muts


def occurrences(tree, m):
    try:
        with open(os.path.join(tree, m["file"]), encoding="utf-8") as f:
            return f.read().count("\n".join(m["search"]))
    except OSError:
        return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "parse":
        for m in parse(sys.argv[2]):
            print("%s\t%s\t%d\t%s" % (m["id"], m["file"], 1 if m["equiv"] else 0, m["desc"]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        bad = 0
        for m in parse(sys.argv[2]):
            n = occurrences(sys.argv[3], m)
            if n != 1:
                bad = 1
                sys.stderr.write("%s:%d: %s: the search text occurs %d times in %s (must be once)\n"
                                 % (sys.argv[2], m["line"], m["id"], n, m["file"]))
        sys.exit(bad)
    if len(sys.argv) != 5 or sys.argv[1] != "apply":
        die("usage: mutant.py parse LIST | check LIST TREE | apply LIST ID TREE")
    _, _, lst, mid, tree = sys.argv
    m = next((m for m in parse(lst) if m["id"] == mid), None)
    if m is None:
        die("no mutant %s" % mid)
    target = os.path.join(tree, m["file"])
    with open(target, encoding="utf-8") as f:
        text = f.read()
    search = "\n".join(m["search"])
    count = text.count(search)
    if count != 1:
        die("%s:%d: %s: the search text occurs %d times in %s (must be once)"
            % (lst, m["line"], mid, count, m["file"]))
    with open(target, "w", encoding="utf-8") as f:
        f.write(text.replace(search, "\n".join(m["repl"])))


if __name__ == "__main__":
    main()
