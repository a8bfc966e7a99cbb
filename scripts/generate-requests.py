#!/usr/bin/env python3
"""Writes the plain-data mirrors of the commands' options from their declarations.

A command the light path runs without the argument parser (resolve, probe, connect,
listen, send) runs on a `Request`: every option's value as plain data, which the
parser's path builds from the parsed command and the light path builds from a few
words. Every option group whose options are plain data gets its `Values` the same way
(the TLS groups share one hand-written `TLSOptions.Values`: client, server and target
options merged into one configuration).
Both are generated here from the one source, the `@Option`/`@Flag`/`@Argument`/
`@OptionGroup` declarations: each stored option a field of the same name, type and
default; a group a field holding the group's values. Values derived from options
(a default filled in, bytes from text) are computed properties written by hand beside
the command.

usage: scripts/generate-requests.py [--check]
  Writes Sources/sockscope/Generated/*.swift; with --check, writes nothing and fails
  (exit 1) when a committed file differs from what would be written.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "Sources" / "sockscope"
OUT = SOURCES / "Generated"

# (type, kind, file): a command's Request, or a group's Values.
TARGETS = [
    ("ResolveCommand", "Request", "ResolveCommand.swift"),
    ("ProbeCommand", "Request", "ProbeCommand.swift"),
    ("ConnectCommand", "Request", "ConnectCommand.swift"),
    ("ListenCommand", "Request", "ListenCommand.swift"),
    ("SendCommand", "Request", "SendCommand.swift"),
    ("AccessOptions", "Values", "Options/AccessOptions.swift"),
    ("SetupTimeoutOptions", "Values", "Options/SetupTimeoutOptions.swift"),
    ("ColorOptions", "Values", "Options/ColorOptions.swift"),
    ("OutputOptions", "Values", "Options/OutputOptions.swift"),
    ("PictureOptions", "Values", "Options/PictureOptions.swift"),
    ("DatagramOutputOptions", "Values", "Options/DatagramOutputOptions.swift"),
    ("FrameOptions", "Values", "Options/FrameOptions.swift"),
    ("TapOptions", "Values", "Options/TapOptions.swift"),
    ("SocketTuningOptions", "Values", "Options/SocketTuningOptions.swift"),
    ("FamilyOptions", "Values", "Options/SocketTuningOptions.swift"),
    ("TransportOptions", "Values", "Options/TransportOptions.swift"),
    ("SessionOptions", "Values", "Options/TransportOptions.swift"),
    ("ProxyOptions", "Values", "Options/ProxyOptions.swift"),
    ("TrafficOptions", "Values", "Output/TrafficLog.swift"),
    ("ProgramOptions", "Values", "Options/ProgramOptions.swift"),
]

WRAPPER = re.compile(r"^    @(Option|Flag|Argument|OptionGroup)\b")
DECLARATION = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*var\s+(\w+)\s*(?::\s*([^=]+?))?\s*(?:=\s*(.+?))?\s*$")


def struct_body(text, name):
    """The lines of `struct NAME: …` up to its closing brace at the same indentation."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if re.match(rf"^struct {name}\b.*\{{\s*$", line):
            body = []
            for inner in lines[index + 1:]:
                if inner == "}":
                    return body
                body.append(inner)
    sys.exit(f"generate-requests: no struct {name}")


def declarations(name, path):
    """The struct's stored options, in order: (kind, name, type, default)."""
    body = struct_body((SOURCES / path).read_text(), name)
    result = []
    index = 0
    while index < len(body):
        match = WRAPPER.match(body[index])
        if not match:
            index += 1
            continue
        kind = match.group(1)
        # The attribute may span lines (balanced parentheses); `var` follows it, on the
        # attribute's last line or on the next.
        text = body[index]
        depth = text.count("(") - text.count(")")
        while depth > 0:
            index += 1
            text += " " + body[index].strip()
            depth = text.count("(") - text.count(")")
        head = text.rsplit(")", 1)[-1] if "(" in text.split("var ")[0] else text
        if "var " not in head:
            index += 1
            head = body[index]
        declaration = DECLARATION.match("var " + head.split("var ", 1)[1])
        if not declaration:
            sys.exit(f"generate-requests: cannot read the declaration after {text.strip()!r} in {path}")
        variable, type_, default = declaration.groups()
        result.append((kind, variable, type_.strip() if type_ else None, default))
        index += 1
    return result


def group_values_type(group):
    """The type a group's `values` returns: its own `Values`, or one it shares."""
    for path in SOURCES.rglob("*.swift"):
        if "Generated" in path.parts:
            continue
        text = path.read_text()
        if not re.search(rf"^struct {group}\b", text, re.M):
            continue
        body = "\n".join(struct_body(text, group))
        match = re.search(r"^    var values: ([\w.]+) \{", body, re.M)
        if match and match.group(1) != "Values":
            return match.group(1)
        return f"{group}.Values"
    sys.exit(f"generate-requests: no option group {group}")


def render(name, kind, path):
    fields, arguments = [], []
    for wrapper, variable, type_, default in declarations(name, path):
        if wrapper == "OptionGroup":
            values = group_values_type(type_)
            fields.append(f"        var {variable} = {values}()")
            arguments.append(f"{variable}: {variable}.values")
            continue
        if type_ and default:
            fields.append(f"        var {variable}: {type_} = {default}")
        elif default:
            fields.append(f"        var {variable} = {default}")
        elif type_:  # an optional (nil by default) or a required argument
            fields.append(f"        var {variable}: {type_}")
        else:
            sys.exit(f"generate-requests: cannot tell the type of {name}.{variable}")
        arguments.append(f"{variable}: {variable}")
    what = "command" if kind == "Request" else "option group"
    property_ = "request" if kind == "Request" else "values"
    lines = [
        "// Generated by scripts/generate-requests.py from the option declarations in",
        f"// Sources/sockscope/{path}: do not edit (`make generate` rewrites it).",
        "",
        "import SockscopeCore",
        "",
        f"extension {name} {{",
        f"    /// Every option of this {what} as plain data, field for field: what the parser read,",
        "    /// or what the light path builds from a plain command line without the parser.",
        f"    struct {kind}: Equatable, Sendable {{",
        *fields,
        "    }",
        "",
        f"    /// The parsed options as a `{kind}`.",
        f"    var {property_}: {kind} {{",
        f"        {kind}(",
        *[f"            {argument}{',' if i < len(arguments) - 1 else ''}" for i, argument in enumerate(arguments)],
        "        )",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, kind, path in TARGETS:
        target = OUT / f"{name}+{kind}.swift"
        # Formatted as every source is (.swift-format), so that lint passes on it.
        text = subprocess.run(
            ["swift", "format", "--assume-filename", str(target)], input=render(name, kind, path), capture_output=True, text=True, check=True
        ).stdout
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            OUT.mkdir(exist_ok=True)
            target.write_text(text)
    if stale:
        print("generated files: out of date with the option declarations (run: make generate): " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)
    if check:
        print("generated files: the Requests and Values mirror the option declarations")


if __name__ == "__main__":
    main()
