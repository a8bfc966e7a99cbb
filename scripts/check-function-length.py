#!/usr/bin/env python3
"""No function, initializer or closure-bodied accessor in Sources/ is longer than LIMIT lines.

check-function-length.py [LIMIT] [DIR ...]   (default 60, Sources)

A body is counted from the line of its opening brace to the line of its closing brace,
both included (so a 60-line function has at most 58 lines between its braces). Braces
inside string literals (plain, multi-line and raw) and comments are not counted. Nested
functions count on their own and inside their parent. Exit 1 listing every function over
the limit, longest first; exit 0 when none is.
"""
import os, re, sys

limit = int(sys.argv[1]) if len(sys.argv) > 1 else 60
roots = sys.argv[2:] or ["Sources"]
NO_BODY = re.compile(r"\s*(\}|@|(public|package|private|fileprivate|internal|static|mutating|nonmutating|override|final|func|var|let|init|deinit|subscript|case|associatedtype|typealias)\b)")
DECLARATION = re.compile(r"\b(func\s+[^\s(<]+|init[?!]?\s*[(<]|deinit\b|subscript\s*[(<])")


def code_only(text):
    """The text with string literals' and comments' contents blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "#" and re.match(r'#+"', text[i:])):
            hashes = len(re.match(r"#*", text[i:]).group(0))
            start = i + hashes
            triple = text.startswith('"""', start)
            quote = '"""' if triple else '"'
            closing = quote + "#" * hashes
            j = start + len(quote)
            depth = 0
            while j < n:
                if hashes == 0 and text[j] == "\\" and not triple and text.startswith("\\(", j):
                    depth += 1
                    j += 2
                    continue
                if hashes == 0 and text[j] == "\\":
                    j += 2
                    continue
                if depth and text[j] == ")":
                    depth -= 1
                elif depth and text[j] == "(":
                    depth += 1
                elif not depth and text.startswith(closing, j):
                    j += len(closing)
                    break
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path):
    text = code_only(open(path, encoding="utf-8").read())
    found = []
    for match in DECLARATION.finditer(text):
        # The body's brace: the first '{' after the declaration at parenthesis depth 0.
        i, depth, body = match.end(), 0, False
        while i < len(text):
            c = text[i]
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif c == "{" and depth <= 0:
                body = True
                break
            elif c == "\n" and depth <= 0 and NO_BODY.match(text[i + 1:i + 200]):
                break  # a requirement in a protocol: the next line declares something else
            i += 1
        if not body:
            continue
        braces, j = 0, i
        while j < len(text):
            if text[j] == "{":
                braces += 1
            elif text[j] == "}":
                braces -= 1
                if braces == 0:
                    break
            j += 1
        first = text.count("\n", 0, i) + 1
        last = text.count("\n", 0, j) + 1
        start = text.count("\n", 0, match.start()) + 1
        lines = last - start + 1
        if lines > limit:
            found.append((lines, path, start, match.group(0).strip()))
    return found


def self_test():
    """The check finds a 61-line function and passes a 60-line one and a protocol."""
    import tempfile
    body = "\n".join(f"    let v{k} = {k}" for k in range(58))
    sample = (
        "protocol P {\n    func required(x: Int) -> Int\n    var y: Int { get }\n}\n"
        f"func fits() {{\n{body}\n}}\n"
        f"func tooLong() {{\n{body}\n    let s = \"{{ not a brace\"\n}}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".swift", delete=False) as handle:
        handle.write(sample)
    found = long_functions(handle.name)
    os.unlink(handle.name)
    assert [(f[0], f[3]) for f in found] == [(61, "func tooLong")], found


self_test()
results = []
for root in roots:
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".swift"):
                results += long_functions(os.path.join(directory, name))
results.sort(reverse=True)
for lines, path, line, name in results:
    print(f"{path}:{line}: {name} is {lines} lines (limit {limit})")
if results:
    print(f"{len(results)} function(s) over {limit} lines", file=sys.stderr)
    sys.exit(1)
