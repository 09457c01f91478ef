#!/usr/bin/env python3
"""Replaces the generated block NAME of docs/benchmarks.md (between `<!-- bench:NAME:begin -->`
and `<!-- bench:NAME:end -->`) with standard input, leaving the hand-written text around it.

Usage: update_docs.py NAME DOC < generated.md
"""

import pathlib
import sys

name, doc = sys.argv[1], pathlib.Path(sys.argv[2])
begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
text = doc.read_text()
if begin not in text or end not in text:
    raise SystemExit(f"{doc} has no {begin} … {end} block")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
doc.write_text(f"{head}{begin}\n{sys.stdin.read().strip()}\n{end}{tail}")
