#!/usr/bin/env python3
"""webauthn_corpus.py - writes the seed corpora of the WebAuthn fuzz targets
(fuzz/corpus/{cbor,cose,authdata,attestation,clientdata}/) from the W3C §16
vectors in tests/vectors/webauthn/, so that every seed is a real, accepted
input. File names are the SHA-1 of the content, as in the other corpora.

Run from the repository root: python3 tests/tools/webauthn_corpus.py
"""
import glob
import hashlib
import os


def load(path):
    fields = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, value = line.strip().split("=", 1)
                fields[key] = bytes.fromhex(value)
    return fields


def auth_data_of(ao):
    """The authData byte string of an attestation object (bstr head 0x58/0x59)."""
    i = ao.index(b"hauthData") + len(b"hauthData")
    head = ao[i]
    if head == 0x58:
        return ao[i + 2:i + 2 + ao[i + 1]]
    if head == 0x59:
        n = int.from_bytes(ao[i + 1:i + 3], "big")
        return ao[i + 3:i + 3 + n]
    raise ValueError("unexpected authData head")


def write(target, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    for path in sorted(glob.glob("tests/vectors/webauthn/*.txt")):
        v = load(path)
        ao = v["attestation_object"]
        write("cbor", ao)
        write("authdata", auth_data_of(ao))
        write("attestation", v["client_data"] + b"\n" + ao)
        write("clientdata", v["client_data"])
        if "credential_public_key" in v:
            write("cbor", v["credential_public_key"])
            write("cose", v["credential_public_key"])
            write("authdata", v["authenticator_data"])
            write("clientdata", v["auth_client_data"])
    # accepted by fuzz_clientdata's fixed policy and challenge
    for t in ("create", "get"):
        write("clientdata", ('{"type":"webauthn.%s","challenge":"c3ltYm9sb24tZnV6emluZw",'
                             '"origin":"https://example.org","crossOrigin":false}' % t).encode())


if __name__ == "__main__":
    main()
