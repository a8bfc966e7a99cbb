#!/usr/bin/env python3
"""Validates JSON Lines against schema/sockscope.schema.json.

usage: validate_json.py SCHEMA FILE...   prints `valid N` or the first invalid line and why (exit 1)
"""
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
count = 0
for path in sys.argv[2:]:
    for number, line in enumerate(open(path, encoding="utf-8", errors="strict"), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        errors = sorted(validator.iter_errors(record), key=lambda e: e.path)
        if errors:
            branch = schema["$defs"].get(record.get("type"), None)
            detail = list(jsonschema.Draft202012Validator(branch).iter_errors(record)) if branch else errors
            print("%s:%d invalid: %s\n  %s" % (path, number, line.strip()[:300], "; ".join(e.message for e in detail[:3])))
            sys.exit(1)
        count += 1
print("valid %d" % count)
