#!/usr/bin/env python3
"""Writes the seed corpus for fuzz-decode into tests/fuzz/corpus/.

Each seed is one context octet followed by a stream of BGP messages, the format
tests/fuzz/fuzz_decode.c reads. Context bits: 0x01 4-octet AS, 0x02 eBGP, 0x04 ADD-PATH
IPv4, 0x08 ADD-PATH IPv6, 0x10 extended messages.

Seeds are hand-built from RFC 4271, 4760, 6793, 7911, 8203 and 7313 layouts: valid messages of
every type and a few malformed ones. When tests/fixtures/*.bgp exist (raw message streams
captured from BIRD, FRR, GoBGP and OpenBGPD), slices of them are added as well.

Files named repro-fuzz-* are minimized fuzzer findings, kept byte for byte; this script
does not write or remove them.

Usage: tests/fuzz/make-corpus.py [OUTDIR]   (rerunning rewrites the same files)
"""
import glob
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")

AS4, EBGP, AP4, AP6, EXT = 0x01, 0x02, 0x04, 0x08, 0x10
IBGP4 = AS4  # the usual route-reflector client session


def msg(mtype, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


# ---- OPEN ----

def cap(code, val=b""):
    return bytes([code, len(val)]) + val


def param_caps(caps):
    body = b"".join(caps)
    return bytes([2, len(body)]) + body


def open_msg(asn, hold, bgp_id, params):
    opt = b"".join(params)
    my_as = asn if asn <= 0xFFFF else 23456
    return msg(1, struct.pack("!BHHIB", 4, my_as, hold, bgp_id, len(opt)) + opt)


def open_ext(asn, hold, bgp_id, caps):
    """RFC 9072 extended optional parameters: 255, 255, 2-octet lengths."""
    body = b"".join(caps)
    p = struct.pack("!BH", 2, len(body)) + body
    fixed = struct.pack("!BHHI", 4, asn, hold, bgp_id)
    return msg(1, fixed + struct.pack("!BBH", 255, 255, len(p)) + p)


MP4 = cap(1, struct.pack("!HBB", 1, 0, 1))
MP6 = cap(1, struct.pack("!HBB", 2, 0, 1))
RR = cap(2)
RR_OLD = cap(128)
ERR = cap(70)
EXTMSG = cap(6)


def as4cap(asn):
    return cap(65, struct.pack("!I", asn))


def addpath(*afs):
    return cap(69, b"".join(struct.pack("!HBB", a, s, m) for a, s, m in afs))


GR = cap(64, struct.pack("!H", 0x8000 | 120) + struct.pack("!HBB", 1, 1, 0x80)
         + struct.pack("!HBB", 2, 1, 0))
LLGR = cap(71, struct.pack("!HBB", 1, 1, 0x80) + (3600).to_bytes(3, "big"))
FQDN = cap(73, b"\x05prism" + b"\x07example")

# ---- UPDATE ----


def attr(flags, code, val):
    if flags & 0x10 or len(val) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(val)) + val
    return struct.pack("!BBB", flags, code, len(val)) + val


def origin(v=0):
    return attr(0x40, 1, bytes([v]))


def aspath(segs, width=4):
    fmt = "!I" if width == 4 else "!H"
    val = b"".join(bytes([t, len(a)]) + b"".join(struct.pack(fmt, x) for x in a)
                   for t, a in segs)
    return attr(0x40, 2, val)


def nexthop(ip="192.0.2.1"):
    return attr(0x40, 3, bytes(int(x) for x in ip.split(".")))


def u32attr(flags, code, v):
    return attr(flags, code, struct.pack("!I", v))


def communities(*cs):
    return attr(0xC0, 8, b"".join(struct.pack("!HH", a, b) for a, b in cs))


def pfx4(s, path_id=None):
    net, ln = s.split("/")
    ln = int(ln)
    raw = bytes(int(x) for x in net.split("."))[: (ln + 7) // 8]
    return (struct.pack("!I", path_id) if path_id is not None else b"") + bytes([ln]) + raw


def pfx6(s, path_id=None):
    import ipaddress
    n = ipaddress.IPv6Network(s)
    raw = n.network_address.packed[: (n.prefixlen + 7) // 8]
    return (struct.pack("!I", path_id) if path_id is not None else b"") + bytes([n.prefixlen]) + raw


def update(withdrawn=b"", attrs=b"", nlri=b""):
    return msg(2, struct.pack("!H", len(withdrawn)) + withdrawn + struct.pack("!H", len(attrs))
               + attrs + nlri)


def mp_reach6(prefixes, nh=None):
    nh = nh or bytes.fromhex("20010db8000000000000000000000001")
    return attr(0x80, 14, struct.pack("!HBB", 2, 1, len(nh)) + nh + b"\x00" + prefixes)


def mp_unreach6(prefixes):
    return attr(0x80, 15, struct.pack("!HB", 2, 1) + prefixes)


BASE = origin() + aspath([(2, [65001, 65002, 4200000001])]) + nexthop()
BASE_IBGP = BASE + u32attr(0x40, 5, 100)
KEEPALIVE = msg(4, b"")


def notification(code, sub, data=b""):
    return msg(3, bytes([code, sub]) + data)


def refresh(afi, subtype, safi):
    return msg(5, struct.pack("!HBB", afi, subtype, safi))


def seeds():
    s = {}
    # OPENs
    s["open-bird"] = (IBGP4, open_msg(64512, 90, 0x0A000001, [param_caps(
        [MP4, MP6, RR, ERR, GR, as4cap(64512), addpath((1, 1, 3)), EXTMSG, LLGR])]))
    s["open-frr"] = (IBGP4, open_msg(4200000001, 180, 0x0A000002, [param_caps([c]) for c in (
        MP4, RR_OLD, RR, as4cap(4200000001), addpath((1, 1, 1), (2, 1, 2)), FQDN, GR)]))
    s["open-minimal"] = (0, open_msg(65001, 0, 0xC0000201, []))
    s["open-rfc9072"] = (IBGP4, open_ext(64512, 90, 0x0A000003, [MP4, MP6, as4cap(64512)]))
    s["open-bad-version"] = (0, msg(1, struct.pack("!BHHIB", 3, 65001, 90, 1, 0)))
    s["open-bad-hold"] = (0, open_msg(65001, 2, 1, []))
    s["open-bad-cap-len"] = (0, open_msg(65001, 90, 1, [b"\x02\x06\x01\x04\x00\x01\x00"]))
    # UPDATEs, IPv4
    s["update-simple"] = (IBGP4, update(attrs=BASE_IBGP, nlri=pfx4("10.0.0.0/24")))
    s["update-many"] = (IBGP4, update(attrs=BASE_IBGP + communities((65000, 1), (65000, 2)),
                                      nlri=b"".join(pfx4(f"10.{i}.{j}.0/24")
                                                    for i in range(2) for j in range(40))))
    s["update-all-attrs"] = (IBGP4, update(attrs=(
        origin(2) + aspath([(2, [65001]), (1, [65010, 65011])]) + nexthop()
        + u32attr(0x80, 4, 50) + u32attr(0x40, 5, 200) + attr(0x40, 6, b"")
        + attr(0xC0, 7, struct.pack("!II", 65001, 0xC0000201)) + communities((65535, 65281))
        + u32attr(0x80, 9, 0x0A000009) + attr(0x80, 10, struct.pack("!II", 1, 2))
        + attr(0xC0, 16, bytes.fromhex("0002fde800000001"))
        + attr(0xC0, 32, struct.pack("!III", 4200000001, 1, 2))
        + attr(0xC0, 99, b"opaque") + attr(0x80, 98, b"dropped")),
        nlri=pfx4("198.51.100.0/24") + pfx4("203.0.113.128/25") + pfx4("0.0.0.0/0")))
    s["update-extlen"] = (IBGP4, update(attrs=attr(0x50, 1, b"\x00") + aspath(
        [(2, list(range(64600, 64700)))]) + nexthop(), nlri=pfx4("10.1.0.0/16")))
    s["update-withdraw"] = (IBGP4, update(withdrawn=pfx4("10.0.0.0/24") + pfx4("10.9.0.0/17")))
    s["update-eor"] = (IBGP4, update())
    s["update-confed"] = (AS4, update(attrs=origin() + aspath([(3, [64512, 64513]), (2, [65001])])
                                      + nexthop() + u32attr(0x40, 5, 100),
                                      nlri=pfx4("10.2.0.0/24")))
    s["update-as2-as4path"] = (0, update(attrs=(
        origin() + aspath([(2, [65001, 23456, 23456])], width=2) + nexthop()
        + attr(0xC0, 7, struct.pack("!H", 23456) + bytes([10, 0, 0, 1]))
        + attr(0xC0, 17, b"\x02\x02" + struct.pack("!II", 4200000001, 4200000002))
        + attr(0xC0, 18, struct.pack("!I", 4200000001) + bytes([10, 0, 0, 1]))),
        nlri=pfx4("10.3.0.0/24")))
    s["update-ebgp"] = (AS4 | EBGP, update(attrs=BASE + u32attr(0x80, 4, 10),
                                           nlri=pfx4("192.0.2.0/24")))
    s["update-addpath4"] = (AS4 | AP4, update(withdrawn=pfx4("10.0.0.0/24", 7),
                                              attrs=BASE_IBGP,
                                              nlri=pfx4("10.0.0.0/24", 1) + pfx4("10.0.0.0/24", 2)))
    # IPv6
    v6 = pfx6("2001:db8:1::/48") + pfx6("2001:db8:2::/48") + pfx6("2001:db8::/32")
    s["update-v6"] = (IBGP4, update(attrs=origin() + aspath([(2, [65001])])
                                    + u32attr(0x40, 5, 100) + mp_reach6(v6)))
    s["update-v6-ll"] = (IBGP4, update(attrs=origin() + aspath([(2, [65001])]) + mp_reach6(
        pfx6("2001:db8:9::/48"),
        bytes.fromhex("20010db8000000000000000000000001fe800000000000000000000000000001"))))
    s["update-v6-withdraw"] = (IBGP4, update(attrs=mp_unreach6(v6)))
    s["update-v6-eor"] = (IBGP4, update(attrs=mp_unreach6(b"")))
    s["update-v6-addpath"] = (AS4 | AP6, update(attrs=origin() + aspath([(2, [65001])])
                                                + mp_reach6(pfx6("2001:db8:1::/48", 5))))
    big = b"".join(pfx4(f"10.{i // 256}.{i % 256}.0/24") for i in range(1500))
    s["update-extmsg"] = (AS4 | EXT, update(attrs=BASE_IBGP, nlri=big))
    # malformed UPDATEs
    s["bad-origin"] = (IBGP4, update(attrs=origin(7) + aspath([(2, [1])]) + nexthop(),
                                     nlri=pfx4("10.0.0.0/24")))
    s["bad-nexthop-mcast"] = (IBGP4, update(attrs=origin() + aspath([(2, [1])])
                                            + nexthop("224.0.0.1"), nlri=pfx4("10.0.0.0/24")))
    s["bad-attr-overrun"] = (IBGP4, update(attrs=BASE + b"\xc0\x08\x40\x00\x00",
                                           nlri=pfx4("10.0.0.0/24")))
    s["bad-dup-attr"] = (IBGP4, update(attrs=BASE + origin(1), nlri=pfx4("10.0.0.0/24")))
    s["bad-prefix-len"] = (IBGP4, update(attrs=BASE, nlri=b"\x21\x0a\x00\x00\x00\x00"))
    s["bad-withdrawn-len"] = (IBGP4, msg(2, b"\x00\x40\x18\x0a\x00\x00\x00\x00"))
    s["bad-missing-nexthop"] = (IBGP4, update(attrs=origin() + aspath([(2, [1])]),
                                              nlri=pfx4("10.0.0.0/24")))
    s["bad-flags"] = (IBGP4, update(attrs=attr(0xC0, 1, b"\x00") + aspath([(2, [1])]) + nexthop(),
                                    nlri=pfx4("10.0.0.0/24")))
    s["bad-unknown-wellknown"] = (IBGP4, update(attrs=BASE + attr(0x40, 77, b"x"),
                                                nlri=pfx4("10.0.0.0/24")))
    s["bad-mp-nh-len"] = (IBGP4, update(attrs=origin() + aspath([(2, [1])]) + mp_reach6(
        pfx6("2001:db8::/32"), b"\x20\x01\x0d\xb8")))
    s["bad-aspath-seg"] = (IBGP4, update(attrs=origin() + attr(0x40, 2, b"\x02\x05\x00\x00")
                                         + nexthop(), nlri=pfx4("10.0.0.0/24")))
    # more than UPDATE_MAX_ERRS errors: the session reset that decides the action is the 9th,
    # is not recorded, and msg_update_worst() returns NULL
    s["repro-update-worst-unrecorded"] = (IBGP4, update(
        attrs=BASE + origin() * 8 + attr(0x40, 77, b"x"), nlri=pfx4("10.0.0.0/24")))
    # RFC 6793 merge: AGGREGATOR is AS_TRANS but AS4_AGGREGATOR holds a 2-octet ASN (here
    # 100); decode takes it, re-encoding for a 2-octet peer then sends AGGREGATOR 100 with
    # AS4_PATH, and decoding that ignores AS4_PATH: the attribute key changes
    s["repro-update-as4-aggregator-small-asn"] = (0, update(attrs=(
        origin() + aspath([(2, [65001, 23456])], width=2) + nexthop()
        + attr(0xC0, 7, struct.pack("!H", 23456) + bytes([10, 0, 0, 1]))
        + attr(0xC0, 17, b"\x02\x02" + struct.pack("!II", 65001, 4200000001))
        + attr(0xC0, 18, struct.pack("!I", 100) + bytes([10, 0, 0, 1]))),
        nlri=pfx4("10.0.0.0/24")))
    s["bad-localpref-ebgp"] = (AS4 | EBGP, update(attrs=BASE_IBGP, nlri=pfx4("10.0.0.0/24")))
    # NOTIFICATION, KEEPALIVE, ROUTE-REFRESH, framing
    s["notify-shutdown"] = (0, notification(6, 2, b"\x0fmaintenance now"))
    s["notify-update-err"] = (0, notification(3, 6, b"\x40\x01\x01\x07"))
    # UBSan: Cease/shutdown with no data made msg_notify.c compute NULL + 0
    s["repro-notify-shutdown-empty"] = (0, notification(6, 2))
    s["notify-bad-utf8"] = (0, notification(6, 4, b"\x02\xc3\x28"))
    s["keepalive"] = (0, KEEPALIVE)
    s["refresh"] = (0, refresh(1, 0, 1) + refresh(2, 1, 1) + refresh(2, 2, 1))
    s["bad-refresh-len"] = (0, msg(5, b"\x00\x01\x00\x01\x00"))
    s["bad-marker"] = (0, b"\xfe" + KEEPALIVE[1:])
    s["bad-hdr-len"] = (0, KEEPALIVE[:16] + b"\x00\x12\x04")
    s["bad-type"] = (0, msg(9, b""))
    # whole sessions
    s["session-ibgp"] = (IBGP4, s["open-bird"][1] + KEEPALIVE + s["update-many"][1]
                         + s["update-v6"][1] + s["update-eor"][1] + s["update-v6-eor"][1]
                         + refresh(1, 1, 1) + notification(6, 2, b"\x03bye"))
    return s


def fixture_addpath(tsv):
    """ADD-PATH context bits for a stream: path identifiers in its tshark oracle (columns
    6-7 for IPv4, 8-9 for IPv6) mean the direction carries them."""
    bits = 0
    if not os.path.exists(tsv):
        return bits
    for line in open(tsv):
        cols = line.rstrip("\n").split("\t")
        if len(cols) >= 9:
            bits |= AP4 if cols[5] or cols[6] else 0
            bits |= AP6 if cols[7] or cols[8] else 0
    return bits


def fixture_slices():
    """Slices of captured streams: up to 8 messages and 4 KiB each, ctx from the file name."""
    out = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.bgp"))):
        data = open(path, "rb").read()
        msgs, off = [], 0
        while off + 19 <= len(data) and data[off:off + 16] == b"\xff" * 16:
            ln = struct.unpack("!H", data[off + 16:off + 18])[0]
            if ln < 19 or off + ln > len(data):
                break
            msgs.append(data[off:off + ln])
            off += ln
        name = os.path.splitext(os.path.basename(path))[0]
        ctx = AS4 | fixture_addpath(os.path.splitext(path)[0] + ".tshark.tsv")
        i = n = 0
        while i < len(msgs) and n < 6:
            chunk = b""
            while i < len(msgs) and len(chunk) + len(msgs[i]) <= 4096 and chunk.count(
                    b"\xff" * 16) < 8:
                chunk += msgs[i]
                i += 1
            if not chunk:  # one message larger than 4 KiB: keep it alone
                chunk = msgs[i]
                i += 1
            out[f"fixture-{name}-{n}"] = (ctx | (EXT if len(chunk) > 4096 else 0), chunk)
            n += 1
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(outdir, exist_ok=True)
    all_seeds = seeds()
    all_seeds.update(fixture_slices())
    for name, (ctx, data) in sorted(all_seeds.items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(bytes([ctx]) + data)
    print(f"wrote {len(all_seeds)} seeds to {outdir}")


if __name__ == "__main__":
    main()
