#!/usr/bin/env python3
"""Embed files as C byte arrays (string literals: fast to compile).

  embed.py OUT.c NAME=FILE ...

writes, for each pair, `const unsigned char NAME[]` and `const size_t NAME_len`
(the array has one more byte, the literal's NUL, not counted in NAME_len).
"""
import sys


def literal(data):
    lines, line = [], []
    for i, b in enumerate(data):
        line.append("\\x%02x" % b)
        if len(line) == 40 or i == len(data) - 1:
            lines.append('"' + "".join(line) + '"')
            line = []
    return "\n".join(lines) if lines else '""'


def main(out, pairs):
    parts = ["#include <stddef.h>", ""]
    for pair in pairs:
        name, path = pair.split("=", 1)
        data = open(path, "rb").read()
        parts.append("extern const unsigned char %s[];" % name)
        parts.append("extern const size_t %s_len;" % name)
        parts.append("const unsigned char %s[] =\n%s;" % (name, literal(data)))
        parts.append("const size_t %s_len = %d;" % (name, len(data)))
        parts.append("")
    with open(out, "w") as fh:
        fh.write("\n".join(parts))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
