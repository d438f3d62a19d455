#!/usr/bin/env python3
"""Print the tail of the output of every failed test in a meson testlog.txt, so that the
last lines of a CI run say which test failed and why."""
import re
import sys

text = open(sys.argv[1], errors="replace").read()
blocks = re.split(r"\n(?==+ \d+/\d+ =+\n)", text)
for b in blocks:
    m = re.search(r"^result:\s+(.*)$", b, re.M)
    if not m or m.group(1).strip() == "exit status 0":
        continue
    name = re.search(r"^test:\s+(.*)$", b, re.M)
    lines = b.rstrip().splitlines()
    print(f"--- {sys.argv[1]}: {name.group(1) if name else '?'}: {m.group(1)}")
    print("\n".join(lines[-40:]))
