#!/usr/bin/env python3
"""Prints criterion's results of `cargo bench -p omniroute-formats --bench translate` as two
markdown matrices (median time per 10 KB request, and per stream chunk)."""

import json
import pathlib
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
FORMATS = ["openai", "anthropic", "gemini", "responses"]


def median(group, a, b):
    path = ROOT / group / a / b / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def table(group, title, rows_are, unit_div, unit):
    print(f"### {title}\n")
    print(f"| {rows_are} | " + " | ".join(FORMATS) + " |")
    print("|---" * (len(FORMATS) + 1) + "|")
    for a in FORMATS:
        cells = [f"{median(group, a, b) / unit_div:.2f} {unit}" for b in FORMATS]
        print(f"| {a} | " + " | ".join(cells) + " |")
    print()


table("request_10kb", "10 KB request, decode + encode (median)", "client \\ upstream", 1000, "µs")
table("stream_chunk", "one stream chunk, decode + encode (median)", "upstream \\ client", 1000, "µs")

print("### same-format passthrough, 10 KB request, `model` rewritten (median)\n")
print("| " + " | ".join(FORMATS) + " | openai, stream asking for usage |")
print("|---" * (len(FORMATS) + 1) + "|")
cells = [f"{median('passthrough_10kb', f, 'model') / 1000:.2f} µs" for f in FORMATS]
cells.append(f"{median('passthrough_10kb', 'openai', 'model+stream_usage') / 1000:.2f} µs")
print("| " + " | ".join(cells) + " |")
print()
