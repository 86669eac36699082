#!/usr/bin/env python3
"""Count meson test results from one or more meson-logs/testlog.json files.

Prints "passed failed" for the caller to add up; lists each failed test on stderr.
"""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}

passed = failed = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"count-results: {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        if result in PASS:
            passed += 1
        elif result in SKIP:
            # A skipped test is a test that did not run: count it as failed.
            failed += 1
            print(f"SKIPPED (counted as failed): {path}: {t.get('name')}", file=sys.stderr)
        else:
            failed += 1
            print(f"FAILED: {path}: {t.get('name')} ({result})", file=sys.stderr)
print(passed, failed)
