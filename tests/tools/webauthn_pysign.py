#!/usr/bin/python3
"""webauthn_pysign.py - an independent software authenticator for cross-checking
the C verifier: Debian's python3-cryptography makes the keys and signatures and a
small CBOR encoder here (not libcbor) builds the COSE keys and attestation
objects. It writes tests/vectors/webauthn/python-<alg>.txt (packed self
attestation registration plus one assertion each, RP ID example.org), in the
format the §16 vector files use; tests/unit/test_webauthn.c verifies them.

Run from the repository root with Debian's interpreter (not a pyenv one):
    /usr/bin/python3 tests/tools/webauthn_pysign.py
The keys are fresh on every run, so the files change; commit them as fixtures.
"""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

RP_ID = "example.org"
ORIGIN = "https://example.org"


def head(major, n):
    """A CBOR head with the shortest argument encoding (RFC 8949 §4.2.1)."""
    if n < 24:
        return bytes([major << 5 | n])
    for ai, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | ai]) + n.to_bytes(width, "big")
    raise ValueError(n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ec_key(curve, alg, crv, size):
    priv = ec.generate_private_key(curve)
    nums = priv.public_key().public_numbers()
    cose = {1: 2, 3: alg, -1: crv, -2: nums.x.to_bytes(size, "big"), -3: nums.y.to_bytes(size, "big")}
    digest = {32: hashes.SHA256(), 48: hashes.SHA384(), 66: hashes.SHA512()}[size]
    return cose, lambda m: priv.sign(m, ec.ECDSA(digest))


def rsa_key(alg, pss):
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = priv.public_key().public_numbers()
    cose = {1: 3, 3: alg, -1: nums.n.to_bytes(256, "big"), -2: nums.e.to_bytes(3, "big")}
    pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if pss else padding.PKCS1v15()
    return cose, lambda m: priv.sign(m, pad, hashes.SHA256())


def ed_key():
    priv = ed25519.Ed25519PrivateKey.generate()
    x = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {1: 1, 3: -8, -1: 6, -2: x}, priv.sign


def client_data(kind, challenge):
    return json.dumps({"type": kind, "challenge": b64url(challenge), "origin": ORIGIN, "crossOrigin": False},
                      separators=(",", ":")).encode()


def vector(name, alg, cose, sign):
    rp_hash = hashlib.sha256(RP_ID.encode()).digest()
    cred_id = os.urandom(32)
    key = cbor(cose)
    # registration: UP|UV|AT, count 0, packed self attestation
    challenge = os.urandom(32)
    cd = client_data("webauthn.create", challenge)
    ad = rp_hash + bytes([0x45]) + (0).to_bytes(4, "big") + bytes(16) + len(cred_id).to_bytes(2, "big") + cred_id + key
    sig = sign(ad + hashlib.sha256(cd).digest())
    ao = cbor({"fmt": "packed", "attStmt": {"alg": alg, "sig": sig}, "authData": ad})
    # assertion: UP|UV, count 1
    a_challenge = os.urandom(32)
    a_cd = client_data("webauthn.get", a_challenge)
    a_ad = rp_hash + bytes([0x05]) + (1).to_bytes(4, "big")
    a_sig = sign(a_ad + hashlib.sha256(a_cd).digest())
    fields = [("challenge", challenge), ("client_data", cd), ("attestation_object", ao), ("credential_id", cred_id),
              ("auth_challenge", a_challenge), ("auth_client_data", a_cd), ("authenticator_data", a_ad),
              ("signature", a_sig), ("credential_public_key", key)]
    with open(f"tests/vectors/webauthn/python-{name}.txt", "w") as f:
        f.write(f"# made by tests/tools/webauthn_pysign.py (python3-cryptography): packed self, {name}\n")
        for k, v in fields:
            f.write(f"{k}={v.hex()}\n")


def main():
    vector("es256", -7, *ec_key(ec.SECP256R1(), -7, 1, 32))
    vector("es384", -35, *ec_key(ec.SECP384R1(), -35, 2, 48))
    vector("es512", -36, *ec_key(ec.SECP521R1(), -36, 3, 66))
    vector("rs256", -257, *rsa_key(-257, False))
    vector("ps256", -37, *rsa_key(-37, True))
    vector("eddsa", -8, *ed_key())


if __name__ == "__main__":
    main()
