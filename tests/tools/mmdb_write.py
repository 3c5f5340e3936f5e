#!/usr/bin/env python3
"""mmdb_write.py - writes small MaxMind DB files (format 2.0) for the GeoIP tests.

Written from the MaxMind DB File Format Specification 2.0
(https://maxmind.github.io/MaxMind-DB/): a binary search tree over the bits of
the address, a 16-byte separator, the data section, then "\\xab\\xcd\\xefMaxMind.com"
and the metadata map. Standard library only.

    mmdb_write.py OUT.mmdb                      the default test networks (below)
    mmdb_write.py --json NETS.json OUT.mmdb     [["203.0.113.0/24", {...}], ...]
    mmdb_write.py --tar-gz OUT.tar.gz           the same, inside a GeoLite2-style .tar.gz
                  [--tar-format gnu|pax|ustar] [--tar-dir DIR]
    options: --record-size 24|28|32, --ip-version 4|6, --database-type NAME,
             --variant N (a second set of names, to tell two files apart),
             --gzip (a gzip-compressed raw .mmdb), --build-epoch N

As a module: w = Writer(); w.insert("203.0.113.0/24", {...}); w.write("x.mmdb").

In an IPv6 tree the IPv4 networks live under ::/96 as the spec says, and
::ffff:0:0/96 and 2002::/16 point at that subtree as in MaxMind's own files.
Python values map to MaxMind types: str -> UTF-8 string, dict -> map, list ->
array, bool -> boolean, float -> double, bytes -> bytes, int -> uint32 (uint64
or uint128 when larger, int32 when negative); wrap a value in U16, U32, U64,
U128, I32 or F32 to choose.
"""
import argparse
import gzip
import io
import ipaddress
import json
import struct
import sys
import tarfile
import time


class _Typed:
    def __init__(self, value):
        self.value = value


class U16(_Typed):
    pass


class U32(_Typed):
    pass


class U64(_Typed):
    pass


class U128(_Typed):
    pass


class I32(_Typed):
    pass


class F32(_Typed):
    pass


# type numbers (spec, "Output Data Section")
T_POINTER, T_STRING, T_DOUBLE, T_BYTES, T_U16, T_U32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_I32, T_U64, T_U128, T_ARRAY, T_CONTAINER, T_END, T_BOOL, T_FLOAT = 8, 9, 10, 11, 12, 13, 14, 15


def _control(type_, size):
    """The control byte(s) of a field: type in the top three bits (0 = extended,
    the type minus 7 in the next byte), the size in the low five bits, with
    29/30/31 meaning one, two or three more size bytes."""
    if size < 0 or size > 16843036:
        raise ValueError("field too large: %d" % size)
    if size < 29:
        low, extra = size, b""
    elif size < 285:
        low, extra = 29, bytes([size - 29])
    elif size < 65821:
        low, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        low, extra = 31, (size - 65821).to_bytes(3, "big")
    if type_ <= 7:
        return bytes([(type_ << 5) | low]) + extra
    return bytes([low, type_ - 7]) + extra


def _uint(type_, value, max_bytes):
    if value < 0 or value >= 1 << (8 * max_bytes):
        raise ValueError("value %d does not fit type %d" % (value, type_))
    payload = value.to_bytes(max_bytes, "big").lstrip(b"\x00")  # a zero is zero bytes long
    return _control(type_, len(payload)) + payload


def encode(value):
    """One data field, without pointers."""
    if isinstance(value, U16):
        return _uint(T_U16, value.value, 2)
    if isinstance(value, U32):
        return _uint(T_U32, value.value, 4)
    if isinstance(value, U64):
        return _uint(T_U64, value.value, 8)
    if isinstance(value, U128):
        return _uint(T_U128, value.value, 16)
    if isinstance(value, I32):
        if not -(1 << 31) <= value.value < 1 << 31:
            raise ValueError("int32 out of range")
        payload = struct.pack(">i", value.value)
        if value.value >= 0:
            payload = payload.lstrip(b"\x00")
        return _control(T_I32, len(payload)) + payload
    if isinstance(value, F32):
        return _control(T_FLOAT, 4) + struct.pack(">f", value.value)
    if isinstance(value, bool):  # before int: bool is an int in Python
        return _control(T_BOOL, 1 if value else 0)
    if isinstance(value, int):
        if value < 0:
            return encode(I32(value))
        if value < 1 << 32:
            return encode(U32(value))
        if value < 1 << 64:
            return encode(U64(value))
        return encode(U128(value))
    if isinstance(value, float):
        return _control(T_DOUBLE, 8) + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _control(T_STRING, len(raw)) + raw
    if isinstance(value, (bytes, bytearray)):
        return _control(T_BYTES, len(value)) + bytes(value)
    if isinstance(value, dict):
        out = _control(T_MAP, len(value))
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("map keys are strings")
            out += encode(k) + encode(v)
        return out
    if isinstance(value, (list, tuple)):
        out = _control(T_ARRAY, len(value))
        for v in value:
            out += encode(v)
        return out
    raise TypeError("cannot encode %r" % (value,))


def encode_pointer(offset):
    """A pointer field to offset in the data section (001SSVVV + 1..4 bytes)."""
    if offset < 2048:
        return bytes([0x20 | (offset >> 8), offset & 0xFF])
    if offset < 2048 + (1 << 19):
        v = offset - 2048
        return bytes([0x28 | (v >> 16)]) + (v & 0xFFFF).to_bytes(2, "big")
    if offset < 526336 + (1 << 27):
        v = offset - 526336
        return bytes([0x30 | (v >> 24)]) + (v & 0xFFFFFF).to_bytes(3, "big")
    return bytes([0x38]) + offset.to_bytes(4, "big")


class _Node:
    __slots__ = ("rec", "num")

    def __init__(self):
        self.rec = [None, None]  # None (no data), ("data", offset) or a _Node
        self.num = None


class Writer:
    def __init__(self, ip_version=6, record_size=24, database_type="GeoLite2-City", languages=("en",),
                 description=None, build_epoch=None, alias_ipv4=True):
        if ip_version not in (4, 6) or record_size not in (24, 28, 32):
            raise ValueError("ip_version 4|6, record_size 24|28|32")
        self.ip_version, self.record_size = ip_version, record_size
        self.database_type, self.languages = database_type, list(languages)
        self.description = description or {"en": "Symbolon test database"}
        self.build_epoch = int(time.time()) if build_epoch is None else build_epoch
        self.alias_ipv4 = alias_ipv4 and ip_version == 6
        self.root = _Node()
        self.data = bytearray()
        self.offsets = {}  # encoded record -> offset, so equal records are stored once
        self.strings = {}  # long repeated strings -> offset, reached through pointers

    def _store(self, value):
        enc = self._encode_shared(value)
        if enc not in self.offsets:
            self.offsets[enc] = len(self.data)
            self.data += enc
        return self.offsets[enc]

    def _encode_shared(self, value):
        """Like encode(), but strings of 8 bytes or more seen before become
        pointers to their first copy, as MaxMind's writer does; readers must
        follow them, so the test files exercise that path."""
        if isinstance(value, dict):
            out = _control(T_MAP, len(value))
            for k, v in value.items():
                out += encode(k) + self._encode_shared(v)
            return out
        if isinstance(value, (list, tuple)):
            out = _control(T_ARRAY, len(value))
            for v in value:
                out += self._encode_shared(v)
            return out
        if isinstance(value, str) and len(value.encode("utf-8")) >= 8:
            if value in self.strings:
                return encode_pointer(self.strings[value])
            # store the string itself in the data section and point at it
            self.strings[value] = len(self.data)
            self.data += encode(value)
            return encode_pointer(self.strings[value])
        return encode(value)

    def _bits(self, network):
        """The network's prefix as a list of bits in this tree's address space."""
        if network.version == 4:
            addr, plen = int(network.network_address), network.prefixlen
            width = 32
            if self.ip_version == 6:  # IPv4 lives in the first 2**32 addresses: ::a.b.c.d
                width, plen = 128, plen + 96
        else:
            if self.ip_version == 4:
                raise ValueError("IPv6 network %s in an IPv4 database" % network)
            addr, plen, width = int(network.network_address), network.prefixlen, 128
        return [(addr >> (width - 1 - i)) & 1 for i in range(plen)]

    def insert(self, cidr, value):
        """Sets every address of cidr to value; later, more specific networks
        win over earlier, larger ones."""
        net = ipaddress.ip_network(cidr, strict=False)
        bits = self._bits(net)
        if not bits:
            raise ValueError("a /0 network is not supported")
        leaf = ("data", self._store(value))
        node = self.root
        for i, b in enumerate(bits):
            if i == len(bits) - 1:
                node.rec[b] = leaf
                return
            nxt = node.rec[b]
            if not isinstance(nxt, _Node):
                child = _Node()
                child.rec = [nxt, nxt]  # split a larger network's data (or nothing) down both ways
                node.rec[b] = child
                nxt = child
            node = nxt

    def _path_node(self, bits):
        """The node reached by following bits from the root, creating nodes."""
        node = self.root
        for b in bits:
            nxt = node.rec[b]
            if not isinstance(nxt, _Node):
                child = _Node()
                child.rec = [nxt, nxt]
                node.rec[b] = child
                nxt = child
            node = nxt
        return node

    def _alias(self):
        ipv4_root = self._path_node([0] * 96)
        for prefix in ("::ffff:0:0/96", "2002::/16"):
            bits = self._bits(ipaddress.ip_network(prefix))
            parent = self._path_node(bits[:-1])
            parent.rec[bits[-1]] = ipv4_root

    def _number(self):
        order, seen, queue = [], set(), [self.root]
        while queue:  # breadth first; the aliases make it a graph, so number each node once
            n = queue.pop(0)
            if id(n) in seen:
                continue
            seen.add(id(n))
            n.num = len(order)
            order.append(n)
            for r in n.rec:
                if isinstance(r, _Node) and id(r) not in seen:
                    queue.append(r)
        return order

    def build(self):
        if self.alias_ipv4:
            self._alias()
        nodes = self._number()
        count = len(nodes)
        limit = 1 << self.record_size
        if count + 16 + len(self.data) >= limit:
            raise ValueError("record size %d is too small for this database" % self.record_size)

        def value(r):
            if r is None:
                return count
            if isinstance(r, _Node):
                return r.num
            return count + 16 + r[1]

        tree = bytearray()
        for n in nodes:
            left, right = value(n.rec[0]), value(n.rec[1])
            if self.record_size == 24:
                tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
            elif self.record_size == 28:
                # the top four bits of each record share the middle byte, left's first
                middle = ((left >> 24) << 4) | (right >> 24)
                tree += (left & 0xFFFFFF).to_bytes(3, "big") + bytes([middle]) + (right & 0xFFFFFF).to_bytes(3, "big")
            else:
                tree += left.to_bytes(4, "big") + right.to_bytes(4, "big")
        metadata = {
            "node_count": U32(count),
            "record_size": U16(self.record_size),
            "ip_version": U16(self.ip_version),
            "database_type": self.database_type,
            "languages": self.languages,
            "binary_format_major_version": U16(2),
            "binary_format_minor_version": U16(0),
            "build_epoch": U64(self.build_epoch),
            "description": self.description,
        }
        return bytes(tree) + b"\x00" * 16 + bytes(self.data) + b"\xab\xcd\xefMaxMind.com" + encode(metadata)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.build())


def _city(country, city=None, iso=None):
    rec = {"country": {"iso_code": iso or country[:2].upper(), "names": {"en": country, "de": country + " (de)"}}}
    if city is not None:
        rec["city"] = {"geoname_id": 42, "names": {"en": city, "fr": city + " (fr)"}}
    rec["location"] = {"accuracy_radius": U16(100), "latitude": 47.5, "longitude": -8.25, "time_zone": "Etc/UTC"}
    return rec


def default_networks(variant=0):
    """The networks the unit tests look up (documentation ranges only, plus
    private ones that the label rules must win over). variant 1 renames the
    places, so that a reload can be told from the file before it."""
    s = "" if variant == 0 else " %d" % variant
    return [
        ("203.0.113.0/24", _city("Testland" + s, "Testville" + s, "TL")),
        ("203.0.113.128/25", _city("Testland" + s, "Upper Testville" + s, "TL")),
        ("198.51.100.0/24", _city("Countryonly" + s, None, "CO")),
        ("192.0.2.0/24", _city("Österreich" + s, "Zürich" + s, "AT")),
        ("2001:db8::/32", _city("Sixland" + s, "Docuville" + s, "SX")),
        ("10.0.0.0/8", _city("Private" + s, "Never" + s, "PV")),
        ("100.64.0.0/10", _city("Carrier" + s, "Never" + s, "CG")),
        ("fd00::/8", _city("Private" + s, "Never" + s, "PV")),
        # a record whose shape is not GeoLite2's: country a string, city a list
        ("233.252.0.0/24", {"country": "Nowhere", "city": ["x"]}),
    ]


def _from_json(value):
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--json", help="a JSON list of [cidr, record] pairs")
    ap.add_argument("--record-size", type=int, default=24, choices=(24, 28, 32))
    ap.add_argument("--ip-version", type=int, default=6, choices=(4, 6))
    ap.add_argument("--database-type", default="GeoLite2-City")
    ap.add_argument("--variant", type=int, default=0)
    ap.add_argument("--build-epoch", type=int)
    ap.add_argument("--tar-gz", action="store_true", help="write a .tar.gz holding <dir>/GeoLite2-City.mmdb")
    ap.add_argument("--tar-format", default="gnu", choices=("gnu", "pax", "ustar"),
                    help="tar dialect: long names as GNU 'L' members, pax 'x' headers or the ustar prefix")
    ap.add_argument("--tar-dir", default="GeoLite2-City_20260101", help="the folder inside the archive")
    ap.add_argument("--gzip", action="store_true", help="write the .mmdb gzip-compressed")
    args = ap.parse_args(argv)

    w = Writer(ip_version=args.ip_version, record_size=args.record_size, database_type=args.database_type,
               build_epoch=args.build_epoch)
    if args.json:
        with open(args.json, encoding="utf-8") as f:
            nets = [(c, _from_json(v)) for c, v in json.load(f)]
    else:
        nets = default_networks(args.variant)
    for cidr, rec in nets:
        if args.ip_version == 4 and ":" in cidr:
            continue
        w.insert(cidr, rec)
    db = w.build()

    if args.tar_gz:
        buf = io.BytesIO()
        fmt = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}[args.tar_format]
        with tarfile.open(fileobj=buf, mode="w:gz", format=fmt) as tar:
            def add(name, payload):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(payload), 1700000000, 0o644
                tar.addfile(info, io.BytesIO(payload))
            d = args.tar_dir.rstrip("/") + "/"
            dirinfo = tarfile.TarInfo(d)
            dirinfo.type, dirinfo.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(dirinfo)
            add(d + "COPYRIGHT.txt", b"Test data for Symbolon, not MaxMind's.\n")
            add(d + "README.txt", b"x" * 1500)  # more than one block, to be skipped
            add(d + "GeoLite2-City.mmdb", db)
        data = buf.getvalue()
    elif args.gzip:
        data = gzip.compress(db)
    else:
        data = db
    with open(args.out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
