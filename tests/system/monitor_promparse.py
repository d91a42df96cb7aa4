#!/usr/bin/env python3
"""Strict parser for the Prometheus text format 0.0.4 (what /metrics must be), used next to
promtool: every line must be a HELP, a TYPE or a sample; samples only after their family's
TYPE; counters end in _total; label values properly escaped; values are floats. Reads stdin,
prints the number of samples, exits 1 with the offending line otherwise."""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{{LABEL}(?:,{LABEL})*\}})? (\S+)( -?\d+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def main():
    types, n = {}, 0
    text = sys.stdin.read()
    if not text.endswith("\n"):
        sys.exit("body does not end with a newline")
    for i, line in enumerate(text.splitlines(), 1):
        if m := TYPE.match(line):
            if m[1] in types:
                sys.exit(f"line {i}: second TYPE for {m[1]}")
            types[m[1]] = m[2]
            if (m[2] == "counter") != m[1].endswith("_total"):
                sys.exit(f"line {i}: counters (and only counters) end in _total: {line}")
            continue
        if HELP.match(line):
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit(f"line {i}: not Prometheus text: {line!r}")
        if m[1] not in types:
            sys.exit(f"line {i}: sample before its TYPE: {line}")
        try:
            float(m[3].replace("Inf", "inf"))
        except ValueError:
            sys.exit(f"line {i}: bad value: {line}")
        n += 1
    print(n)


if __name__ == "__main__":
    main()
