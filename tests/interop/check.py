#!/usr/bin/env python3
"""Route sets and verifier for tests/interop.sh and tests/redundancy.sh (standard library only).

The announcing clients' configs are generated from ROUTES here, and every receiving
client's own CLI output is parsed back into the same normal form and compared with it:

  check.py bird-config SET            BIRD static protocols and the `announce` export filter
  check.py frr-route-maps SET         FRR route-maps that set each network's attributes
  check.py frr-networks SET ipv4|ipv6 FRR `network` lines for one address family
  check.py frr-withdraw SET           vtysh commands, one a line, that remove those networks
  check.py frr-prefixes FILE          "ipv4|ipv6 PREFIX" lines from FRR's route tables (JSON)
  check.py parse KIND FILE            the normal form of a CLI dump, as JSON (for debugging)
  check.py verify KIND FILE SPEC...   exit 0 when the dump holds exactly what SPEC says
  check.py exabgp-routes SET          ExaBGP `static` route lines
  check.py nexthop SET ipv4|ipv6 DEF  the next hop of the set's routes of one family (or DEF)
  check.py gobgp-routes SET           "FAMILY ARGS..." lines for `gobgp global rib add`
  check.py exabgp-record FILE         (an ExaBGP API process) appends what ExaBGP says to FILE;
                                      verify reads such a FILE as KIND exabgp (or exabgp_as2,
                                      for a session without 4-octet ASNs), from the raw UPDATEs

A SPEC is SET:ORIGINATOR:CLUSTER_LIST:FROM, e.g. bird:127.0.10.1:127.0.0.1:127.0.0.1 (the
routes of set "bird", originated by router ID 127.0.10.1, reflected with CLUSTER_LIST
[127.0.0.1], exactly one path for each prefix, learned from peer 127.0.0.1). Commas separate
several cluster IDs or peers; FROM "-" means the prefixes must be absent. Prefixes of no
SPEC must be absent too. A fifth field changes what is expected (expected_override, for
tests/topology.sh's eBGP checks), and ORIGINATOR or CLUSTER_LIST "-" means absent. With --subset (verify --subset KIND FILE SPEC...), each prefix
needs at least one path, all correct, from some of the FROM peers (no peer twice). verify
prints one line per problem, or "ok: ..." with the path count.
"""
import ipaddress
import json
import re
import sys

# The normal form of one path: every attribute the reflector must keep, plus the two it adds.
#   prefix, nexthop, med, local_pref, as_path ("65001 65002"), communities ["A:B"],
#   large ["A:B:C"], ext ["rt:A:B"], originator_id, cluster_list ["a.b.c.d"], from (peer)
ROUTES = {
    # Announced by BIRD, from static protocols s4 and s6 through the `announce` filter.
    "bird": [
        dict(prefix="203.0.113.0/24", nexthop="198.18.0.1", med=50, local_pref=100, as_path="",
             communities=["64512:100", "64512:200"], large=["4200000001:1:1"],
             ext=["rt:64512:7"]),
        dict(prefix="198.51.100.0/24", nexthop="198.18.0.1", med=100, local_pref=150,
             as_path="65001 65002", communities=["64512:300"],
             large=["64512:3:3", "64512:3:4"], ext=[]),
        dict(prefix="192.0.2.0/24", nexthop="198.18.0.1", med=7, local_pref=100, as_path="",
             communities=[], large=[], ext=[]),
        dict(prefix="2001:db8:100::/48", nexthop="2001:db8:ffff::1", med=60, local_pref=100,
             as_path="", communities=["64512:600"], large=["64512:6:1"], ext=[]),
        dict(prefix="2001:db8:200::/48", nexthop="2001:db8:ffff::1", med=61, local_pref=110,
             as_path="", communities=[], large=["4200000001:6:2"], ext=[]),
    ],
    # Announced by FRR, from `network` statements with one route-map each; the next hop is
    # set by the outbound route-maps OUT4 and OUT6 (tests/interop/lib.sh).
    "frr": [
        dict(prefix="100.64.21.0/24", nexthop="198.18.0.2", med=21, local_pref=120, as_path="",
             communities=["64512:21", "64512:22"], large=["4200000002:21:1"],
             ext=["rt:64512:22"]),
        dict(prefix="100.64.22.0/24", nexthop="198.18.0.2", med=22, local_pref=100,
             as_path="65010", communities=[], large=[], ext=[]),
        dict(prefix="2001:db8:210::/48", nexthop="2001:db8:ffff::2", med=26, local_pref=100,
             as_path="", communities=["64512:26"], large=[], ext=[]),
    ],
    # Announced by ExaBGP, which sends ORIGINATOR_ID and CLUSTER_LIST as given here, as if
    # the routes had been through reflectors already (tests/redundancy.sh, cluster
    # 10.255.255.1). RFC 4456 8: a reflector must drop a route whose CLUSTER_LIST holds its
    # cluster ID, or whose ORIGINATOR_ID is its own router ID. dropped_by lists the
    # reflectors that must drop the route ("all": every one).
    "exa": [
        dict(prefix="10.99.1.0/24", nexthop="198.18.0.4", med=91, local_pref=100, as_path="",
             communities=["64512:91"], large=[], ext=[], send_originator="127.0.11.99",
             send_cluster=["10.255.255.1"], dropped_by="all"),
        dict(prefix="10.99.2.0/24", nexthop="198.18.0.4", med=92, local_pref=100, as_path="",
             communities=["64512:92"], large=["64512:9:2"], ext=[],
             send_originator="127.0.11.99", send_cluster=["10.255.255.9"]),
        dict(prefix="10.99.3.0/24", nexthop="198.18.0.4", med=93, local_pref=100,
             as_path="65093", communities=[], large=[], ext=[], send_originator="127.0.0.1",
             dropped_by=["127.0.0.1"]),
    ],
}

# tests/topology.sh. Next hops are data-only (RFC 2544's 198.18.0.0/15), as above.
ROUTES.update({
    # Scenario 1: eBGP neighbours of prismd (AS 64512). BIRD (AS 65001, import and export
    # all) prepends its AS and sends no LOCAL_PREF to eBGP, whatever its filter sets; the
    # route whose AS_PATH holds 64512 must be dropped by prismd (AS loop).
    "ext-a": [
        dict(prefix="10.12.1.0/24", nexthop="198.18.0.11", med=31, local_pref=251, as_path="",
             communities=["65001:1"], large=[], ext=[]),
        dict(prefix="10.12.2.0/24", nexthop="198.18.0.11", med=32, local_pref=252,
             as_path="65100 65101", communities=[], large=["65001:2:2"], ext=["rt:65001:2"]),
        dict(prefix="10.12.9.0/24", nexthop="198.18.0.11", med=39, local_pref=100,
             as_path="65100 64512 65102", communities=[], large=[], ext=[], dropped_by="all"),
    ],
    # FRR in AS 65002, a neighbour with no import or export policy (RFC 8212): prismd must
    # accept none of these.
    "ext-b": [
        dict(prefix="10.12.5.0/24", nexthop="198.18.0.12", med=51, local_pref=100, as_path="",
             communities=["65002:5"], large=[], ext=[], dropped_by="all"),
        dict(prefix="2001:db8:1205::/48", nexthop="2001:db8:ffff::12", med=52, local_pref=100,
             as_path="", communities=[], large=[], ext=[], dropped_by="all"),
    ],
    # FRR in AS 65003, import and export all, IPv4 and IPv6; it dials prismd (prismd is
    # passive). FRR too prepends its AS and sends no LOCAL_PREF to eBGP.
    "ext-c": [
        dict(prefix="10.12.3.0/24", nexthop="198.18.0.13", med=35, local_pref=235, as_path="",
             communities=["65003:3"], large=[], ext=[]),
        dict(prefix="2001:db8:1203::/48", nexthop="2001:db8:ffff::13", med=36, local_pref=236,
             as_path="65300", communities=[], large=["65003:3:3"], ext=[]),
    ],
    # ExaBGP in AS 65004 (import all), which sends exactly what it is told: LOCAL_PREF,
    # ORIGINATOR_ID and CLUSTER_LIST to an external peer, which must discard them (RFC 7606
    # 7.5, 7.9, 7.10); a path whose first AS is not the neighbour's (RFC 4271 6.3) and one
    # that holds 64512 must be dropped.
    "ext-x": [
        dict(prefix="10.12.7.0/24", nexthop="198.18.0.14", med=77, local_pref=300,
             as_path="65004 65400", communities=["65004:7"], large=[], ext=[],
             send_originator="10.9.9.9", send_cluster=["10.9.9.8"]),
        dict(prefix="10.12.8.0/24", nexthop="198.18.0.14", med=78, local_pref=100,
             as_path="65099", communities=[], large=[], ext=[], dropped_by="all"),
        dict(prefix="10.12.6.0/24", nexthop="198.18.0.14", med=76, local_pref=100,
             as_path="65004 64512", communities=[], large=[], ext=[], dropped_by="all"),
    ],
    # Scenario 2: GoBGP, an iBGP non-client of rr1 (announced through its CLI).
    "nc": [
        dict(prefix="10.13.5.0/24", nexthop="198.18.0.21", med=5, local_pref=130,
             as_path="65020", communities=["64512:1305"], large=[], ext=[]),
        dict(prefix="10.13.6.0/24", nexthop="198.18.0.21", med=6, local_pref=100, as_path="",
             communities=[], large=["64512:13:6"], ext=[]),
    ],
    # Scenario 4: a 4-octet client's path with 4-octet ASNs (BIRD, io_bird_start, whose next
    # hop is always 198.18.0.1), and a 2-octet client's
    # (ExaBGP without the capability, which sends AS_TRANS in AS_PATH and the real path in
    # AS4_PATH).
    "as4": [
        dict(prefix="10.15.1.0/24", nexthop="198.18.0.1", med=41, local_pref=100,
             as_path="65001 4200000001 65002", communities=[], large=[], ext=[]),
    ],
    "as2": [
        dict(prefix="10.15.2.0/24", nexthop="198.18.0.42", med=42, local_pref=100,
             as_path="65010 4200000010 65011", communities=[], large=[], ext=[]),
    ],
})


def family(prefix):
    return "ipv6" if ":" in prefix else "ipv4"


def die(msg):
    sys.stderr.write("check.py: " + msg + "\n")
    sys.exit(2)


# ---------------------------------------------------------------- config generators

def bird_config(name):
    routes = ROUTES[name]
    out = []
    for fam, proto in (("ipv4", "s4"), ("ipv6", "s6")):
        out.append("protocol static %s { %s;" % (proto, fam))
        for r in routes:
            if family(r["prefix"]) == fam:
                out.append("  route %s blackhole;" % r["prefix"])
        out.append("}")
    out.append("filter announce {")
    for r in routes:
        acts = ["bgp_med = %d;" % r["med"], "bgp_local_pref = %d;" % r["local_pref"]]
        for asn in reversed(r["as_path"].split()):
            acts.append("bgp_path.prepend(%s);" % asn)
        for c in r["communities"]:
            acts.append("bgp_community.add((%s));" % c.replace(":", ","))
        for c in r["large"]:
            acts.append("bgp_large_community.add((%s));" % c.replace(":", ","))
        for c in r["ext"]:
            acts.append("bgp_ext_community.add((%s));" % c.replace(":", ","))
        out.append("  if net = %s then { %s }" % (r["prefix"], " ".join(acts)))
    out.append("  if proto = \"s4\" || proto = \"s6\" then accept;")
    out.append("  reject;")
    out.append("}")
    return "\n".join(out)


def frr_route_maps(name):
    out = []
    for i, r in enumerate(ROUTES[name]):
        out.append("route-map NET-%d permit 10" % i)
        out.append(" set metric %d" % r["med"])
        out.append(" set local-preference %d" % r["local_pref"])
        if r["as_path"]:
            out.append(" set as-path prepend %s" % r["as_path"])
        if r["communities"]:
            out.append(" set community %s" % " ".join(r["communities"]))
        if r["large"]:
            out.append(" set large-community %s" % " ".join(r["large"]))
        if r["ext"]:
            out.append(" set extcommunity rt %s" %
                       " ".join(c.split(":", 1)[1] for c in r["ext"]))
    return "\n".join(out)


def frr_withdraw(name):
    """vtysh commands, one a line, that remove every network of the set."""
    out = ["configure terminal", "router bgp 64512"]
    for fam in ("ipv4", "ipv6"):
        out.append("address-family %s unicast" % fam)
        out += ["no network %s" % r["prefix"] for r in ROUTES[name] if family(r["prefix"]) == fam]
        out.append("exit-address-family")
    return "\n".join(out)


def frr_networks(name, fam):
    return "\n".join("  network %s route-map NET-%d" % (r["prefix"], i)
                     for i, r in enumerate(ROUTES[name]) if family(r["prefix"]) == fam)


# ---------------------------------------------------------------- parsers
# Each returns a list of paths in the normal form.

def norm_prefix(p):
    return str(ipaddress.ip_network(p, strict=False))


def norm_ip(a):
    return str(ipaddress.ip_address(a))


def parse_bird(text):
    """`birdc show route all`: a route line starts with the prefix (or, for a further path
    of the same prefix, with spaces) and names the protocol, then attribute lines indented
    by a tab. Only paths from BGP protocols count; BIRD's own static routes do not."""
    if not text.startswith("BIRD ") or "ready." not in text.split("\n", 1)[0]:
        raise ValueError("not the output of birdc")
    paths = []
    cur = None
    prefix = None
    route_re = re.compile(r"^(\S+)?\s+(?:unicast|unreachable|blackhole|prohibit)"
                          r"\s+\[(\S+)[^]]*?(?: from (\S+?))?\]")
    for line in text.splitlines():
        if line.startswith(("Table ", "BIRD ")) or not line.strip():
            continue
        m = route_re.match(line)
        if m and not line.startswith("\t"):
            if m.group(1):
                prefix = m.group(1)
            cur = dict(prefix=norm_prefix(prefix), nexthop=None, med=None, local_pref=None,
                       as_path="", communities=[], large=[], ext=[], originator_id=None,
                       cluster_list=[], proto=m.group(2), bgp=False, **{"from": m.group(3)})
            paths.append(cur)
            continue
        if cur is None:
            continue
        k, _, v = line.strip().partition(":")
        v = v.strip()
        if k == "Type":
            cur["bgp"] = v.startswith("BGP")
        elif k == "BGP.next_hop":
            cur["nexthop"] = norm_ip(v.split()[0])
        elif k == "BGP.med":
            cur["med"] = int(v)
        elif k == "BGP.local_pref":
            cur["local_pref"] = int(v)
        elif k == "BGP.as_path":
            cur["as_path"] = " ".join(v.split())
        elif k == "BGP.community":
            cur["communities"] = ["%s:%s" % t for t in re.findall(r"\((\d+),\s*(\d+)\)", v)]
        elif k == "BGP.large_community":
            cur["large"] = ["%s:%s:%s" % t
                            for t in re.findall(r"\((\d+),\s*(\d+),\s*(\d+)\)", v)]
        elif k == "BGP.ext_community":
            cur["ext"] = ["%s:%s:%s" % t
                          for t in re.findall(r"\((\w+),\s*(\d+),\s*(\d+)\)", v)]
        elif k == "BGP.originator_id":
            cur["originator_id"] = norm_ip(v)
        elif k == "BGP.cluster_list":
            cur["cluster_list"] = [norm_ip(x) for x in v.split()]
    return [p for p in paths if p["bgp"]]


def frr_path(prefix, p):
    nh = None
    for n in p.get("nexthops", []):
        if nh is None or n.get("scope", "global") == "global":
            nh = n.get("ip")
    ext = []
    for c in (p.get("extendedCommunity") or {}).get("string", "").split():
        m = re.match(r"RT:(\d+):(\d+)$", c)
        ext.append("rt:%s:%s" % m.groups() if m else c)
    segs = (p.get("aspath") or {}).get("segments", [])
    return dict(
        prefix=norm_prefix(prefix), nexthop=norm_ip(nh) if nh else None,
        med=p.get("metric"), local_pref=p.get("locPrf"),
        as_path=" ".join(str(a) for seg in segs for a in seg.get("list", [])),
        communities=(p.get("community") or {}).get("list", []),
        large=(p.get("largeCommunity") or {}).get("list", []),
        ext=ext,
        originator_id=p.get("originatorId"),
        cluster_list=(p.get("clusterList") or {}).get("list", []),
        **{"from": (p.get("peer") or {}).get("peerId")})


def parse_frr(text):
    """One `show bgp ipv4|ipv6 unicast PREFIX json` object after another (io_dump). FRR's
    own networks (sourced locally, peer 0.0.0.0) do not count."""
    dec = json.JSONDecoder()
    paths = []
    i = 0
    text = text.strip()
    while i < len(text):
        obj, i = dec.raw_decode(text, i)
        while i < len(text) and text[i].isspace():
            i += 1
        for p in obj.get("paths", []):
            if p.get("local") or p.get("sourced"):
                continue
            paths.append(frr_path(obj["prefix"], p))
    return paths


def frr_prefixes(path):
    """The prefixes in `show bgp ipv4 unicast json` + `show bgp ipv6 unicast json`."""
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    dec = json.JSONDecoder()
    i = 0
    out = []
    while i < len(text):
        obj, i = dec.raw_decode(text, i)
        while i < len(text) and text[i].isspace():
            i += 1
        for prefix in obj.get("routes", {}):
            out.append("%s %s" % (family(prefix), prefix))
    return "\n".join(out)


GOBGP_ORIGIN, GOBGP_ASPATH, GOBGP_NEXTHOP, GOBGP_MED, GOBGP_LP = 1, 2, 3, 4, 5
GOBGP_COMM, GOBGP_ORIG_ID, GOBGP_CLIST, GOBGP_MP_REACH, GOBGP_EXT, GOBGP_LARGE = \
    8, 9, 10, 14, 16, 32


def parse_gobgp(text):
    """{"ipv4": <global rib -a ipv4 -j>, "ipv6": ...}; attributes by type code."""
    doc = json.loads(text)
    paths = []
    for fam in ("ipv4", "ipv6"):
        for prefix, plist in (doc.get(fam) or {}).items():
            for p in plist:
                if not p.get("neighbor-ip"):
                    continue  # its own routes (`gobgp global rib add`), like FRR's sourced
                d = dict(prefix=norm_prefix(prefix), nexthop=None, med=None, local_pref=None,
                         as_path="", communities=[], large=[], ext=[], originator_id=None,
                         cluster_list=[], **{"from": p.get("neighbor-ip")})
                for a in p.get("attrs", []):
                    t = a.get("type")
                    if t in (GOBGP_NEXTHOP, GOBGP_MP_REACH):
                        d["nexthop"] = norm_ip(a["nexthop"])
                    elif t == GOBGP_MED:
                        d["med"] = a.get("metric")
                    elif t == GOBGP_LP:
                        d["local_pref"] = a.get("value")
                    elif t == GOBGP_ASPATH:
                        d["as_path"] = " ".join(str(x) for seg in a.get("as_paths", [])
                                                for x in seg.get("asns", []))
                    elif t == GOBGP_COMM:
                        d["communities"] = ["%d:%d" % (c >> 16, c & 0xFFFF)
                                            for c in a.get("communities", [])]
                    elif t == GOBGP_LARGE:
                        d["large"] = ["%d:%d:%d" % (c["ASN"], c["LocalData1"], c["LocalData2"])
                                      for c in a.get("value", [])]
                    elif t == GOBGP_EXT:
                        d["ext"] = [gobgp_ext(c) for c in a.get("value", [])]
                    elif t == GOBGP_ORIG_ID:
                        d["originator_id"] = norm_ip(a["value"])
                    elif t == GOBGP_CLIST:
                        d["cluster_list"] = [norm_ip(x) for x in a.get("value", [])]
                paths.append(d)
    return paths


def gobgp_ext(c):
    # type 0 subtype 2: two-octet-AS route target; type 2 subtype 2: four-octet-AS one
    if c.get("subtype") == 2 and c.get("type") in (0, 2) and isinstance(c.get("value"), str):
        return "rt:" + c["value"]
    return json.dumps(c, sort_keys=True)


def parse_openbgpd(text):
    """`bgpctl -j show rib detail`: ORIGINATOR_ID and CLUSTER_LIST are in "attributes"."""
    doc = json.loads(text)
    paths = []
    for r in doc.get("rib", []):
        ext = []
        for c in r.get("extended_communities", []):
            m = re.match(r"rt (\d+):(\d+)$", c)
            ext.append("rt:%s:%s" % m.groups() if m else c)
        orig, clist = None, []
        for a in r.get("attributes", []):
            if "originator" in a:
                orig = a["originator"]
            if "cluster_list" in a:
                clist = a["cluster_list"]
        nh = r.get("exit_nexthop") or r.get("true_nexthop")
        paths.append(dict(
            prefix=norm_prefix(r["prefix"]), nexthop=norm_ip(nh) if nh else None,
            med=r.get("metric"), local_pref=r.get("localpref"),
            as_path=" ".join(str(r.get("aspath", "")).split()),
            communities=r.get("communities", []),
            large=r.get("large_communities", []),
            ext=ext, originator_id=orig, cluster_list=clist,
            **{"from": (r.get("neighbor") or {}).get("remote_addr")}))
    return paths


def raw_prefixes(b):
    out, i = [], 0
    while i < len(b):
        n = b[i]
        k = (n + 7) // 8
        out.append(norm_prefix("%s/%d" % (ipaddress.ip_address(
            bytes(b[i + 1:i + 1 + k]) + bytes(4 - k)), n)))
        i += 1 + k
    return out


def raw_aspath(v, size):
    asns, j = [], 0
    while j + 2 <= len(v):
        n = v[j + 1]
        asns += [str(int.from_bytes(v[j + 2 + k * size:j + 2 + (k + 1) * size], "big"))
                 for k in range(n)]
        j += 2 + n * size
    return " ".join(asns)


def raw_ext(c):
    if c[1] == 2 and c[0] in (0, 0x40):
        return "rt:%d:%d" % (int.from_bytes(c[2:4], "big"), int.from_bytes(c[4:8], "big"))
    if c[1] == 2 and c[0] in (2, 0x42):
        return "rt:%d:%d" % (int.from_bytes(c[2:6], "big"), int.from_bytes(c[6:8], "big"))
    return c.hex()


def raw_update(body, as4):
    """A raw IPv4 UPDATE body: (withdrawn prefixes, announced prefixes, attributes in the
    normal form, plus as4_path and codes, the attribute type codes present)."""
    wlen = int.from_bytes(body[0:2], "big")
    withdrawn = raw_prefixes(body[2:2 + wlen])
    i = 2 + wlen
    alen = int.from_bytes(body[i:i + 2], "big")
    i += 2
    end = i + alen
    a = dict(nexthop=None, med=None, local_pref=None, as_path="", communities=[], large=[],
             ext=[], originator_id=None, cluster_list=[], as4_path=None, codes=[])
    while i < end:
        flags, code = body[i], body[i + 1]
        if flags & 0x10:
            ln, i = int.from_bytes(body[i + 2:i + 4], "big"), i + 4
        else:
            ln, i = body[i + 2], i + 3
        v = body[i:i + ln]
        i += ln
        a["codes"].append(code)
        if code == 2:
            a["as_path"] = raw_aspath(v, 4 if as4 else 2)
        elif code == 3:
            a["nexthop"] = str(ipaddress.ip_address(bytes(v)))
        elif code == 4:
            a["med"] = int.from_bytes(v, "big")
        elif code == 5:
            a["local_pref"] = int.from_bytes(v, "big")
        elif code == 8:
            a["communities"] = ["%d:%d" % (int.from_bytes(v[k:k + 2], "big"),
                                           int.from_bytes(v[k + 2:k + 4], "big"))
                                for k in range(0, len(v), 4)]
        elif code == 9:
            a["originator_id"] = str(ipaddress.ip_address(bytes(v)))
        elif code == 10:
            a["cluster_list"] = [str(ipaddress.ip_address(bytes(v[k:k + 4])))
                                 for k in range(0, len(v), 4)]
        elif code == 16:
            a["ext"] = [raw_ext(v[k:k + 8]) for k in range(0, len(v), 8)]
        elif code == 17:
            a["as4_path"] = raw_aspath(v, 4)
        elif code == 32:
            a["large"] = [":".join(str(int.from_bytes(v[k + o:k + o + 4], "big"))
                                   for o in (0, 4, 8)) for k in range(0, len(v), 12)]
    return withdrawn, raw_prefixes(body[end:]), a


def parse_exabgp(text, as4=True):
    """What an ExaBGP neighbour holds, rebuilt from the raw UPDATEs it received (IPv4 unicast
    only), one JSON line each in an exabgp-record file, in order. Every path also has
    as4_path (AS4_PATH, or None) and codes (the attribute type codes it came with)."""
    rib = {}
    for line in text.splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        msg = (m.get("neighbor") or {}).get("message") or {}
        if m.get("type") != "update" or "body" not in msg:
            continue
        peer = (((m.get("neighbor") or {}).get("address") or {}).get("peer"))
        body = bytes.fromhex(msg["body"][2:] if msg["body"].startswith("0x") else msg["body"])
        withdrawn, announced, a = raw_update(body, as4)
        for p in withdrawn:
            rib.pop((p, peer), None)
        for p in announced:
            rib[(p, peer)] = dict(a, prefix=p, **{"from": peer})
    return list(rib.values())


PARSERS = dict(bird=parse_bird, frr=parse_frr, gobgp=parse_gobgp, openbgpd=parse_openbgpd,
               exabgp=parse_exabgp, exabgp_as2=lambda text: parse_exabgp(text, as4=False))


def parse(kind, path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        return PARSERS[kind](text)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        print("cannot parse %s output (%s: %s); first lines: %r" %
              (kind, type(e).__name__, e, text[:300]))
        sys.exit(1)


# ---------------------------------------------------------------- verifier

ATTRS = ("nexthop", "med", "local_pref", "as_path", "communities", "large", "ext",
         "originator_id", "cluster_list", "as4_path")


def expected_path(r, originator, clusters):
    """What a client must hold for route r, reflected by a reflector of the cluster list
    `clusters` (the newest first): the route as sent, plus ORIGINATOR_ID (the originator's
    router ID unless the route carried one) and CLUSTER_LIST (ours before any it carried)."""
    e = dict(r)
    e["originator_id"] = r.get("send_originator") or originator
    e["cluster_list"] = clusters + r.get("send_cluster", [])
    e["prefix"] = norm_prefix(r["prefix"])
    return e


def expected_override(e, r, orig, clist, over):
    """tests/topology.sh: ORIGINATOR "-" means none, CLUSTER_LIST "-" means none (what an
    eBGP neighbour gets, or an iBGP peer gets from an eBGP-learned route), and OVERRIDES,
    KEY=VALUE;..., change what the route set says arrives:
      prepend=ASN ...  ASNs put in front of the set's AS_PATH (an eBGP hop prepends one)
      nh=ADDR          the IPv4 routes' next hop (next-hop-self towards eBGP)
      nh6=ADDR         the IPv6 routes' next hop
      med=N|none       MULTI_EXIT_DISC (none: absent)
      lp=N|none        LOCAL_PREF (none: absent)
      fam=ipv4|ipv6    only the routes of that family arrive (the session has no other)
      maybe            the routes may be absent; a path that is there must be as said
      path=ASN ...     the whole AS_PATH (a 2-octet one, with AS_TRANS)
      as4path=ASN ...  AS4_PATH (only parse_exabgp sees it; none: absent)"""
    e = dict(e)
    if orig == "-":
        e["originator_id"] = None
    if clist == "-":
        e["cluster_list"] = []
    for kv in filter(None, over.split(";")):
        k, _, v = kv.partition("=")
        if k == "prepend":
            e["as_path"] = " ".join((v + " " + r["as_path"]).split())
        elif k == "nh":
            if family(r["prefix"]) == "ipv4":
                e["nexthop"] = norm_ip(v)
        elif k == "nh6":
            if family(r["prefix"]) == "ipv6":
                e["nexthop"] = norm_ip(v)
        elif k in ("med", "lp"):
            e["med" if k == "med" else "local_pref"] = None if v == "none" else int(v)
        elif k == "path":
            e["as_path"] = " ".join(v.split())
        elif k == "as4path":
            e["as4_path"] = None if v == "none" else " ".join(v.split())
        elif k == "fam":
            e["absent"] = family(r["prefix"]) != v
        elif k == "maybe":
            e["maybe"] = True
        else:
            die("unknown override %r" % kv)
    return e


def comparable(p, k):
    v = p.get(k)
    if k in ("communities", "large", "ext"):
        return sorted(v or [])
    if k == "cluster_list":
        return [norm_ip(x) for x in (v or [])]   # order matters
    if k == "originator_id" and v:
        return norm_ip(v)
    return v


def verify(kind, path, specs, subset=False):
    paths = parse(kind, path)
    by_prefix = {}
    for p in paths:
        by_prefix.setdefault(p["prefix"], []).append(p)
    problems = []
    want = {}
    for spec in specs:
        try:
            name, orig, clist, froms, over = (spec.split(":", 4) + [""])[:5]
        except ValueError:
            die("bad SPEC %r (SET:ORIGINATOR:CLUSTER_LIST:FROM[:OVERRIDES])" % spec)
        if name not in ROUTES:
            die("no route set %r" % name)
        froms = [] if froms == "-" else [norm_ip(f) for f in froms.split(",")]
        for r in ROUTES[name]:
            drop = r.get("dropped_by", [])
            f = [x for x in froms if drop != "all" and x not in drop]
            e = expected_path(r, orig, clist.split(","))
            if over or orig == "-" or clist == "-":
                e = expected_override(e, r, orig, clist, over)
                f = [] if e.get("absent") else f
            want[norm_prefix(r["prefix"])] = (e, f)
    ok = 0
    for prefix, (e, froms) in sorted(want.items()):
        got = by_prefix.get(prefix, [])
        gfrom = sorted(str(g.get("from")) for g in got)
        if subset:
            good = froms and got and set(gfrom) <= set(froms) and len(set(gfrom)) == len(gfrom)
            if not froms and got:
                good = False
            if not froms and not got:
                good = True
        else:
            good = gfrom == sorted(froms) or (e.get("maybe") and not got)
        if not good:
            if not froms:
                w = "none"
            elif subset:
                w = "paths from some of " + ", ".join(froms)
            else:
                w = "one path from each of " + ", ".join(froms)
            problems.append("%s: %d path(s)%s, want %s" %
                            (prefix, len(got), " from " + ", ".join(gfrom) if got else "", w))
        for g in got:
            bad = ["%s %s, want %s" % (k, json.dumps(comparable(g, k)),
                                      json.dumps(comparable(e, k)))
                   for k in ATTRS if comparable(g, k) != comparable(e, k)]
            if bad:
                problems.append("%s from %s: %s" % (prefix, g.get("from"), "; ".join(bad)))
            else:
                ok += 1
    for prefix in sorted(set(by_prefix) - set(want)):
        problems.append("%s: unexpected, %d path(s) from %s" %
                        (prefix, len(by_prefix[prefix]),
                         ", ".join(str(g.get("from")) for g in by_prefix[prefix])))
    if problems:
        for p in problems:
            print(p)
        return 1
    print("ok: %d path(s) as expected" % ok)
    return 0


def exabgp_routes(name):
    """ExaBGP `static` route lines; ORIGINATOR_ID and CLUSTER_LIST as sent, if any."""
    out = []
    for r in ROUTES[name]:
        words = ["route", r["prefix"], "next-hop", r["nexthop"], "med", str(r["med"]),
                 "local-preference", str(r["local_pref"]), "origin", "igp"]
        if r["as_path"]:
            words += ["as-path", "[", r["as_path"], "]"]
        if r["communities"]:
            words += ["community", "["] + r["communities"] + ["]"]
        if r["large"]:
            words += ["large-community", "["] + r["large"] + ["]"]
        if r.get("send_originator"):
            words += ["originator-id", r["send_originator"]]
        if r.get("send_cluster"):
            words += ["cluster-list", "["] + r["send_cluster"] + ["]"]
        out.append("    " + " ".join(words) + ";")
    return "\n".join(out)


def nexthop(name, fam, default):
    for r in ROUTES[name]:
        if family(r["prefix"]) == fam:
            return r["nexthop"]
    return default


def gobgp_routes(name):
    """One line per route: the family, then the words after `gobgp global rib -a FAMILY
    add` (no word has a space: GoBGP reads an AS_PATH's ASNs separated by commas)."""
    out = []
    for r in ROUTES[name]:
        words = [family(r["prefix"]), r["prefix"], "origin", "igp", "nexthop", r["nexthop"],
                 "med", str(r["med"]), "local-pref", str(r["local_pref"])]
        if r["as_path"]:
            words += ["aspath", ",".join(r["as_path"].split())]
        if r["communities"]:
            words += ["community", ",".join(r["communities"])]
        if r["large"]:
            words += ["large-community", ",".join(r["large"])]
        out.append(" ".join(words))
    return "\n".join(out)


def exabgp_record(path):
    """ExaBGP runs this as an API process: every line it writes goes to path, flushed."""
    with open(path, "a", encoding="utf-8") as f:
        for line in sys.stdin:
            f.write(line)
            f.flush()


def main(argv):
    if len(argv) < 3:
        die(__doc__)
    cmd = argv[1]
    if cmd == "bird-config":
        print(bird_config(argv[2]))
    elif cmd == "frr-route-maps":
        print(frr_route_maps(argv[2]))
    elif cmd == "frr-withdraw":
        print(frr_withdraw(argv[2]))
    elif cmd == "frr-networks":
        print(frr_networks(argv[2], argv[3]))
    elif cmd == "frr-prefixes":
        try:
            out = frr_prefixes(argv[2])
        except (ValueError, AttributeError) as e:
            die("%s: not FRR's JSON route tables (%s)" % (argv[2], e))
        if out:
            print(out)
    elif cmd == "parse":
        print(json.dumps(parse(argv[2], argv[3]), indent=1, sort_keys=True))
    elif cmd == "verify":
        if argv[2] == "--subset":
            return verify(argv[3], argv[4], argv[5:], subset=True)
        return verify(argv[2], argv[3], argv[4:])
    elif cmd == "exabgp-routes":
        print(exabgp_routes(argv[2]))
    elif cmd == "nexthop":
        print(nexthop(argv[2], argv[3], argv[4]))
    elif cmd == "gobgp-routes":
        print(gobgp_routes(argv[2]))
    elif cmd == "exabgp-record":
        exabgp_record(argv[2])
    else:
        die("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
