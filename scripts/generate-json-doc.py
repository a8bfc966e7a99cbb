#!/usr/bin/env python3
"""Writes docs/json.md from schema/sockscope.schema.json: every --json record type, who
prints it, and its fields with their types, whether they are always there, and what the
schema says of them. `make docs` writes it; scripts/check-generated.sh fails when the
committed file differs.

usage: scripts/generate-json-doc.py [--check]
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "sockscope.schema.json"
OUT = ROOT / "docs" / "json.md"


def type_text(spec):
    """A field's type in a few words: string, integer or null, one of "a", "b", …"""
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return "one of " + ", ".join(json.dumps(value) for value in spec["enum"])
    if "$ref" in spec:
        return "a `" + spec["$ref"].split("/")[-1] + "` object"
    if "oneOf" in spec or "anyOf" in spec:
        return " or ".join(type_text(option) for option in spec.get("oneOf", spec.get("anyOf")))
    kind = spec.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and "items" in spec:
        kind = "array of " + type_text(spec["items"])
    return kind


def render(schema):
    lines = [
        "# `--json` records",
        "",
        "<!-- generated from schema/sockscope.schema.json by scripts/generate-json-doc.py (make docs); do not edit -->",
        "",
        schema.get("description", ""),
        "",
        "Each record below lists its fields: those marked *always* are in every record of the",
        "type (their value may still be null where the type allows it), the others only when",
        "they apply. A test validates every record the commands print against the schema.",
        "",
    ]
    definitions = schema.get("$defs", {})
    record_types = [name for name, spec in definitions.items() if "type" in spec.get("properties", {})]
    lines.append("Record types: " + ", ".join(f"[`{name}`](#{name.replace('_', '-')})" for name in record_types) + ".")
    lines.append("")
    for name, spec in definitions.items():
        is_record = name in record_types
        lines.append(("## `" if is_record else "## object `") + name + "`")
        lines.append("")
        if spec.get("description"):
            lines.append(spec["description"])
            lines.append("")
        properties = spec.get("properties", {})
        if not properties:
            lines.append(f"Type: {type_text(spec)}.")
            lines.append("")
            continue
        required = set(spec.get("required", []))
        lines.append("| field | type | | meaning |")
        lines.append("|---|---|---|---|")
        for field, field_spec in properties.items():
            meaning = field_spec.get("description", "").replace("|", "\\|").replace("\n", " ")
            kind = type_text(field_spec).replace("|", "\\|")
            lines.append(f"| `{field}` | {kind} | {'always' if field in required else ''} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main():
    text = render(json.loads(SCHEMA.read_text()))
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print("generated files: docs/json.md is out of date with the schema (run: make docs)", file=sys.stderr)
            sys.exit(1)
        print("generated files: docs/json.md matches the schema")
        return
    OUT.write_text(text)


main()
