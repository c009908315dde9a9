#!/usr/bin/env bash
# Regenerate tests/fixtures/*.bgp, *.pcap and *.tshark.tsv from real BGP daemons
# talking to each other on loopback.
#
# Usage: tools/capture-fixtures.sh [session ...]
#   sessions: bird-frr gobgp-bird openbgpd-frr   (default: all three)
#
# Every daemon runs with its own config, pid file and control socket in a
# scratch folder made by mktemp -d.  Every process this script starts is
# remembered by PID and stopped by PID in the EXIT trap, also on failure.
# Only 127.0.9.0/24 addresses and TCP port $PORT are used.
# Needs root (dumpcap on lo), bird2, frr, gobgpd, openbgpd, tshark, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX=$ROOT/tests/fixtures
PORT=${PRISM_FIXTURE_PORT:-11179}
W=$(mktemp -d /tmp/prism-fixtures.XXXXXX)
PIDS=()

log() { printf '[capture %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

stop_pid() {   # stop_pid PID: TERM, wait up to 5 s, then KILL; children by parent PID first
	local pid=$1 kids i
	kill -0 "$pid" 2>/dev/null || return 0
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	for k in $kids; do
		kill -0 "$k" 2>/dev/null && kill -KILL "$k" 2>/dev/null || true
	done
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[i]}"
	done
	PIDS=()
	if [[ $rc -ne 0 && -z ${KEEP_SCRATCH:-} ]]; then
		log "scratch logs (tails):"
		for f in "$W"/*.log; do
			[[ -f $f ]] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }
		done
	fi
	if [[ -n ${KEEP_SCRATCH:-} ]]; then log "scratch kept in $W"; else rm -rf "$W"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LAST_PID=
spawn() {   # spawn LOGNAME cmd...: start in background, remember PID in PIDS and LAST_PID
	local name=$1; shift
	"$@" >"$W/$name.log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

wait_for() {   # wait_for SECONDS DESCRIPTION cmd...: poll every 0.2 s
	local limit=$1 what=$2 t0=$SECONDS; shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS - t0 < limit)) || die "timed out after ${limit}s waiting for $what"
		sleep 0.2
	done
}

for tool in bird birdc /usr/lib/frr/bgpd vtysh gobgpd gobgp bgpctl dumpcap tshark python3; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[[ $(id -u) -eq 0 ]] || die "must run as root (dumpcap on lo, daemons binding 127.0.9.x)"
mkdir -p "$FIX"

# ---------------------------------------------------------------- python helpers
cat >"$W/fx.py" <<'PY'
#!/usr/bin/env python3
"""Helpers for tools/capture-fixtures.sh: TCP reassembly from a pcap, a tshark
(PDML) oracle per BGP message, and a per-stream description for the README."""
import collections
import ipaddress
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

MARKER = b"\xff" * 16
TYPE_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}


def die(msg):
    sys.stderr.write("fx.py: " + msg + "\n")
    sys.exit(1)


# ------------------------------------------------------------------ pcap + TCP
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die(path + ": too short for a pcap file")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        die(path + ": not a classic pcap file (pcapng?)")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if incl != orig:
            die(path + ": a packet was truncated by the snap length")
        yield linktype, pkt


def ip_payload(linktype, pkt):
    if linktype == 1:                      # Ethernet
        if len(pkt) < 14:
            return None
        et = struct.unpack(">H", pkt[12:14])[0]
        l3 = pkt[14:]
    elif linktype == 113:                  # Linux cooked v1
        et = struct.unpack(">H", pkt[14:16])[0]
        l3 = pkt[16:]
    elif linktype == 276:                  # Linux cooked v2
        et = struct.unpack(">H", pkt[0:2])[0]
        l3 = pkt[20:]
    elif linktype == 0:                    # BSD loopback
        et = 0x0800 if struct.unpack("<I", pkt[:4])[0] == 2 else 0
        l3 = pkt[4:]
    elif linktype in (101, 228):           # raw IPv4
        et, l3 = 0x0800, pkt
    else:
        die("unsupported link type %d" % linktype)
    if et != 0x0800 or len(l3) < 20 or l3[0] >> 4 != 4:
        return None
    ihl = (l3[0] & 15) * 4
    total = struct.unpack(">H", l3[2:4])[0]
    if l3[9] != 6:
        return None
    src = str(ipaddress.IPv4Address(l3[12:16]))
    dst = str(ipaddress.IPv4Address(l3[16:20]))
    return src, dst, l3[ihl:total]


def tcp_connections(path):
    """Return {(client, cport, server, sport): {'a2b': bytes, 'b2a': bytes}} in SYN order."""
    segs = collections.defaultdict(list)   # (src, sp, dst, dp) -> [(seq, flags, payload)]
    order = []
    for lt, pkt in read_pcap(path):
        r = ip_payload(lt, pkt)
        if r is None:
            continue
        src, dst, tcp = r
        sp, dp, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        key = (src, sp, dst, dp)
        if key not in segs:
            order.append(key)
        segs[key].append((seq, flags, tcp[doff:]))
    conns = collections.OrderedDict()
    for key in order:
        src, sp, dst, dp = key
        rev = (dst, dp, src, sp)
        ck = key if (key[0], key[1]) < (rev[0], rev[1]) else rev
        if ck in conns:
            continue
        conns[ck] = {}
        for k in (ck, (ck[2], ck[3], ck[0], ck[1])):
            conns[ck][k] = reassemble(segs.get(k, []), k)
    return conns


def reassemble(seglist, key):
    isn = None
    for seq, flags, _ in seglist:
        if flags & 0x02:                   # SYN
            isn = seq
            break
    payloads = [(s, p) for s, _, p in seglist if p]
    if not payloads:
        return b""
    if isn is None:
        die("%s: data without a SYN; the capture started too late" % (key,))
    buf = bytearray()
    have = bytearray()
    for seq, p in payloads:
        rel = (seq - isn - 1) & 0xFFFFFFFF
        end = rel + len(p)
        if end > len(buf):
            buf.extend(b"\0" * (end - len(buf)))
            have.extend(b"\0" * (end - len(have)))
        for i, b in enumerate(p):          # small captures: a byte loop is fine
            j = rel + i
            if have[j] and buf[j] != b:
                die("%s: retransmitted bytes differ at offset %d" % (key, j))
            buf[j] = b
            have[j] = 1
    if 0 in have:
        die("%s: hole in the stream at offset %d (lost packets?)" % (key, have.index(0)))
    return bytes(buf)


def split_messages(data, what):
    msgs = []
    off = 0
    while off < len(data):
        if len(data) - off < 19:
            die("%s: %d trailing bytes, not a whole header" % (what, len(data) - off))
        if data[off:off + 16] != MARKER:
            die("%s: no marker at offset %d" % (what, off))
        ln, ty = struct.unpack(">HB", data[off + 16:off + 19])
        if ln < 19 or off + ln > len(data) or ty not in TYPE_NAMES:
            die("%s: bad header at offset %d (len %d type %d)" % (what, off, ln, ty))
        msgs.append(data[off:off + ln])
        off += ln
    return msgs


def first_connection(pcap):
    """The first TCP connection in the capture that carried data: (key, dirs)."""
    conns = tcp_connections(pcap)
    used = None
    for ck, dirs in conns.items():
        if not any(dirs.values()):
            continue
        if used is None:
            used = (ck, dirs)
        else:
            sys.stderr.write("fx.py: note: %s: ignoring a later connection with data: %s\n" % (pcap, ck))
    if used is None:
        die(pcap + ": no TCP connection carried data")
    return used


def cmd_split(pcap, a, b, out_ab, out_ba):
    ck, dirs = first_connection(pcap)
    ab = ba = None
    for (src, sp, dst, dp), data in dirs.items():
        if src == a and dst == b:
            ab = data
        elif src == b and dst == a:
            ba = data
    if ab is None or ba is None:
        die("%s: connection %s is not between %s and %s" % (pcap, ck, a, b))
    for data, out in ((ab, out_ab), (ba, out_ba)):
        msgs = split_messages(data, out)
        with open(out, "wb") as f:
            f.write(data)
        sys.stderr.write("fx.py: %s: %d bytes, %d messages\n" % (out, len(data), len(msgs)))


# ------------------------------------------------------------------ tshark oracle
PREFIX_COL = {
    "bgp.withdrawn_prefix": 0,
    "bgp.nlri_prefix": 1,
    "bgp.mp_reach_nlri_ipv4_prefix": 2,
    "bgp.mp_reach_nlri_ipv6_prefix": 2,
    "bgp.mp_unreach_nlri_ipv4_prefix": 3,
    "bgp.mp_unreach_nlri_ipv6_prefix": 3,
}


def tshark_messages(pcap, port):
    """[(src_ip, type, length, [4 prefix lists], [4 path-id lists])] in capture order."""
    xml = subprocess.run(
        ["tshark", "-r", pcap, "-n", "-d", "tcp.port==%s,bgp" % port,
         "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "bgp.desegment:TRUE",
         "-o", "tcp.analyze_sequence_numbers:TRUE", "-T", "pdml"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    root = ET.fromstring(xml)
    out = []
    for packet in root.iter("packet"):
        src = sport = None
        retrans = False
        for proto in packet.findall("proto"):
            if proto.get("name") == "ip":
                for f in proto.iter("field"):
                    if f.get("name") == "ip.src":
                        src = f.get("show")
            if proto.get("name") == "tcp":
                for f in proto.iter("field"):
                    if f.get("name") == "tcp.srcport":
                        sport = int(f.get("show"))
                    if f.get("name") in ("tcp.analysis.retransmission",
                                         "tcp.analysis.spurious_retransmission"):
                        retrans = True
        for proto in packet.findall("proto"):
            if proto.get("name") != "bgp":
                continue
            if retrans:
                die("%s: tshark saw a retransmission; check the oracle by hand" % pcap)
            ty = ln = None
            for f in proto.findall("field"):
                if f.get("name") == "bgp.type":
                    ty = int(f.get("show"))
                if f.get("name") == "bgp.length":
                    ln = int(f.get("show"))
            cols = [[], [], [], []]
            pids = [[], [], [], []]
            parents = {c: p for p in proto.iter() for c in p}
            for f in proto.iter("field"):
                col = PREFIX_COL.get(f.get("name"))
                if col is None:
                    continue
                group = parents[f]
                plen = pid = None
                for s in group:
                    if s.get("name") == "bgp.prefix_length":
                        plen = s.get("show")
                    if s.get("name") == "bgp.nlri_path_id":
                        pid = s.get("show")
                if plen is None:
                    die("%s: no prefix length next to %s" % (pcap, f.get("show")))
                cols[col].append("%s/%s" % (f.get("show"), plen))
                if pid is not None:
                    pids[col].append(pid)
            out.append(((src, sport), ty, ln, cols, pids))
    return out


def cmd_oracle(pcap, port, a, b, bgp_ab, bgp_ba, tsv_ab, tsv_ba):
    msgs = tshark_messages(pcap, port)
    ck, _ = first_connection(pcap)           # the connection cmd_split used
    ends = {ck[0]: (ck[0], ck[1]), ck[2]: (ck[2], ck[3])}
    for src, bgpfile, tsv in ((a, bgp_ab, tsv_ab), (b, bgp_ba, tsv_ba)):
        mine = split_messages(open(bgpfile, "rb").read(), bgpfile)
        theirs = [m for m in msgs if m[0] == ends[src]]
        if len(mine) != len(theirs):
            die("%s: %d messages in the stream, tshark saw %d" % (bgpfile, len(mine), len(theirs)))
        for i, (m, t) in enumerate(zip(mine, theirs)):
            ln, ty = struct.unpack(">HB", m[16:19])
            if (ty, ln) != (t[1], t[2]):
                die("%s: message %d: stream has type %d len %d, tshark %s len %s"
                    % (bgpfile, i, ty, ln, t[1], t[2]))
        with open(tsv, "w") as f:
            for _, ty, _, cols, pids in theirs:
                fields = [str(ty)] + [",".join(c) for c in cols] + [",".join(p) for p in pids]
                f.write("\t".join(fields) + "\n")
        sys.stderr.write("fx.py: %s: %d lines, matches %s\n" % (tsv, len(theirs), bgpfile))


def cmd_check(bgpfile, tsv):
    """Stand-alone check: the stream's message types equal the .tsv's, line by line."""
    mine = split_messages(open(bgpfile, "rb").read(), bgpfile)
    lines = open(tsv).read().splitlines()
    if len(mine) != len(lines):
        die("%s: %d messages but %s has %d lines" % (bgpfile, len(mine), tsv, len(lines)))
    for i, (m, l) in enumerate(zip(mine, lines)):
        if int(l.split("\t")[0]) != m[18]:
            die("%s: message %d type differs from %s" % (bgpfile, i, tsv))
    print("%s: %d messages, types match %s" % (bgpfile, len(mine), tsv))


# ------------------------------------------------------------------ description
CAP_NAMES = {1: "multiprotocol", 2: "route-refresh", 5: "extended-nexthop",
             6: "extended-message", 64: "graceful-restart", 65: "4-octet-as",
             69: "add-path", 70: "enhanced-route-refresh", 71: "long-lived-gr",
             73: "fqdn", 128: "route-refresh-old(cisco)", 9: "bgp-role"}
ATTR_NAMES = {1: "ORIGIN", 2: "AS_PATH", 3: "NEXT_HOP", 4: "MED", 5: "LOCAL_PREF",
              6: "ATOMIC_AGGREGATE", 7: "AGGREGATOR", 8: "COMMUNITIES", 9: "ORIGINATOR_ID",
              10: "CLUSTER_LIST", 14: "MP_REACH_NLRI", 15: "MP_UNREACH_NLRI",
              16: "EXTENDED_COMMUNITIES", 17: "AS4_PATH", 18: "AS4_AGGREGATOR",
              32: "LARGE_COMMUNITY", 35: "OTC"}
AFS = {(1, 1): "ipv4/unicast", (2, 1): "ipv6/unicast"}


def describe_open(m):
    ver, asn, hold = struct.unpack(">BHH", m[19:24])
    bgpid = str(ipaddress.IPv4Address(m[24:28]))
    plen = m[28]
    params = m[29:29 + plen]
    caps = []
    off = 0
    while off < len(params):
        pt, pl = params[off], params[off + 1]
        body = params[off + 2:off + 2 + pl]
        off += 2 + pl
        if pt != 2:
            caps.append("param%d" % pt)
            continue
        c = 0
        while c < len(body):
            code, cl = body[c], body[c + 1]
            v = body[c + 2:c + 2 + cl]
            c += 2 + cl
            name = CAP_NAMES.get(code, "cap%d" % code)
            if code == 1:
                afi, _, safi = struct.unpack(">HBB", v)
                name += "(%s)" % AFS.get((afi, safi), "%d/%d" % (afi, safi))
            elif code == 65:
                name += "(%d)" % struct.unpack(">I", v)[0]
            elif code == 69:
                parts = []
                for i in range(0, len(v), 4):
                    afi, safi, sr = struct.unpack(">HBB", v[i:i + 4])
                    parts.append("%s:%s" % (AFS.get((afi, safi), "%d/%d" % (afi, safi)),
                                            {1: "rx", 2: "tx", 3: "rx+tx"}.get(sr, str(sr))))
                name += "(%s)" % ",".join(parts)
            elif code == 64:
                flags_time = struct.unpack(">H", v[:2])[0]
                afs = []
                for i in range(2, len(v), 4):
                    afi, safi, fl = struct.unpack(">HBB", v[i:i + 4])
                    afs.append(AFS.get((afi, safi), "%d/%d" % (afi, safi)))
                name += "(time %d%s)" % (flags_time & 0xFFF, "; " + ",".join(afs) if afs else "")
            elif code == 73:
                hl = v[0]
                name += "(%s)" % v[1:1 + hl].decode(errors="replace")
            caps.append(name)
    return "version %d, my AS %d, hold %d, id %s; capabilities: %s" % (
        ver, asn, hold, bgpid, ", ".join(caps))


def describe(bgpfile):
    msgs = split_messages(open(bgpfile, "rb").read(), bgpfile)
    counts = collections.Counter()
    pref = collections.Counter()
    attr_orders = collections.Counter()
    ext_len = collections.Counter()
    nh_lens = collections.Counter()
    extra = []
    for m in msgs:
        ty = m[18]
        if ty != 5:
            counts[TYPE_NAMES[ty]] += 1
        if ty == 1:
            extra.append("OPEN: " + describe_open(m))
        elif ty == 3:
            code, sub = m[19], m[20]
            data = m[21:]
            txt = ""
            if code == 6 and sub in (2, 4) and data:
                txt = ', text "%s"' % data[1:1 + data[0]].decode(errors="replace")
            extra.append("NOTIFICATION: code %d subcode %d, %d data bytes%s" % (code, sub, len(data), txt))
        elif ty == 5:
            afi, sub, safi = struct.unpack(">HBB", m[19:23])
            counts["ROUTE-REFRESH %s %s" % (AFS.get((afi, safi), "?"),
                   {0: "request", 1: "BoRR", 2: "EoRR"}.get(sub, "subtype %d" % sub))] += 1
        elif ty == 2:
            wl = struct.unpack(">H", m[19:21])[0]
            al = struct.unpack(">H", m[21 + wl:23 + wl])[0]
            attrs = m[23 + wl:23 + wl + al]
            nlri = m[23 + wl + al:]
            if wl == 0 and al == 0 and not nlri:
                counts["of those UPDATEs: End-of-RIB ipv4/unicast"] += 1
                continue
            order = []
            off = 0
            eor6 = False
            while off < len(attrs):
                fl, code = attrs[off], attrs[off + 1]
                if fl & 0x10:
                    ln = struct.unpack(">H", attrs[off + 2:off + 4])[0]
                    hdr = 4
                else:
                    ln = attrs[off + 2]
                    hdr = 3
                name = ATTR_NAMES.get(code, "attr%d" % code)
                ext_len["%s flags 0x%02x" % (name, fl)] += 1
                order.append(name)
                v = attrs[off + hdr:off + hdr + ln]
                if code == 14:
                    nh_lens["MP_REACH next-hop length %d" % v[3]] += 1
                if code == 15 and ln == 3 and len(attrs) == off + hdr + ln and off == 0:
                    eor6 = True
                off += hdr + ln
            if eor6:
                counts["of those UPDATEs: End-of-RIB %s" % AFS.get(struct.unpack(">HB", attrs[3:6]), "?")] += 1
                continue
            attr_orders[" ".join(order) or "(no attributes: IPv4 withdrawals only)"] += 1
    return msgs, counts, attr_orders, ext_len, nh_lens, extra


def open_caps(bgpfile):
    m = split_messages(open(bgpfile, "rb").read(), bgpfile)[0]
    if m[18] != 1:
        die(bgpfile + ": first message is not an OPEN")
    caps = collections.defaultdict(list)
    params = m[29:29 + m[28]]
    off = 0
    while off < len(params):
        pt, pl = params[off], params[off + 1]
        body = params[off + 2:off + 2 + pl]
        off += 2 + pl
        c = 0
        while pt == 2 and c < len(body):
            caps[body[c]].append(body[c + 2:c + 2 + body[c + 1]])
            c += 2 + body[c + 1]
    return caps


def addpath_modes(caps):
    modes = {}
    for v in caps.get(69, []):
        for i in range(0, len(v), 4):
            afi, safi, sr = struct.unpack(">HBB", v[i:i + 4])
            modes[AFS.get((afi, safi), "%d/%d" % (afi, safi))] = sr
    return modes


def cmd_negotiated(name_a, bgp_a, name_b, bgp_b):
    a, b = open_caps(bgp_a), open_caps(bgp_b)
    out = []
    mp = sorted(set(bytes(x) for x in a[1]) & set(bytes(x) for x in b[1]))
    out.append("multiprotocol " + "+".join(
        AFS.get((struct.unpack(">H", x[:2])[0], x[3]), "?") for x in mp))
    for code in (65, 2, 70, 6, 64, 71, 9, 5):
        if code in a and code in b:
            out.append(CAP_NAMES[code])
    ma, mb = addpath_modes(a), addpath_modes(b)
    for af in sorted(set(ma) | set(mb)):
        if ma.get(af, 0) & 2 and mb.get(af, 0) & 1:
            out.append("ADD-PATH %s %s->%s" % (af, name_a, name_b))
        if mb.get(af, 0) & 2 and ma.get(af, 0) & 1:
            out.append("ADD-PATH %s %s->%s" % (af, name_b, name_a))
    print(", ".join(out))


def cmd_describe(bgpfile, tsv):
    msgs, counts, orders, ext_len, nh_lens, extra = describe(bgpfile)
    lines = [l.split("\t") for l in open(tsv).read().splitlines()]
    npref = [sum(len([x for x in l[c].split(",") if x]) for l in lines) for c in (1, 2, 3, 4)]
    withpid = sum(len([x for x in l[c].split(",") if x]) for l in lines for c in (5, 6, 7, 8))
    print("- %d messages, %d bytes: %s" % (len(msgs), sum(len(m) for m in msgs),
          ", ".join("%s %d" % (k, v) for k, v in sorted(counts.items()))))
    print("- prefixes (tshark): withdrawn %d, NLRI %d, MP_REACH %d, MP_UNREACH %d; "
          "%d of them carry an ADD-PATH path identifier" % (*npref, withpid))
    for e in extra:
        print("- " + e)
    for o, n in sorted(orders.items(), key=lambda x: -x[1]):
        print("- attribute order in %d UPDATE(s): %s" % (n, o))
    print("- attribute flags seen (0x10 = extended length): "
          + ", ".join("%s (%d)" % kv for kv in sorted(ext_len.items())))
    if nh_lens:
        print("- " + ", ".join("%s (%d)" % kv for kv in sorted(nh_lens.items())))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"split": cmd_split, "oracle": cmd_oracle, "check": cmd_check,
     "describe": cmd_describe, "negotiated": cmd_negotiated}[cmd](*args)
PY
fx() { python3 "$W/fx.py" "$@"; }

# ---------------------------------------------------------------- capture control
CAP_PID=
start_capture() {   # start_capture NAME ADDR_A ADDR_B
	local name=$1 a=$2 b=$3
	rm -f "$W/$name.pcap"
	spawn "dumpcap-$name" dumpcap -q -i lo -P -s 65535 \
		-f "tcp port $PORT and host $a and host $b" -w "$W/$name.pcap"
	CAP_PID=$LAST_PID
	# the file exists (with its global header) once dumpcap is capturing
	wait_for 10 "dumpcap for $name" test -s "$W/$name.pcap"
	sleep 0.5
}
stop_capture() {
	sleep 0.5
	stop_pid "$CAP_PID"
	CAP_PID=
}

# ---------------------------------------------------------------- daemon helpers
BIRD_PID=
start_bird() {   # start_bird NAME: config in $W/NAME.conf, socket $W/NAME.ctl
	local n=$1
	bird -p -c "$W/$n.conf" || die "bird config $n does not parse"
	spawn "$n" bird -f -c "$W/$n.conf" -s "$W/$n.ctl" -P "$W/$n.pid"
	BIRD_PID=$LAST_PID
	wait_for 10 "bird $n control socket" birdc -s "$W/$n.ctl" show status
}
birdc_() { local n=$1; shift; birdc -s "$W/$n.ctl" "$@"; }
bird_established() { birdc_ "$1" show protocols "$2" | grep -q Established; }

FRR_PID=
start_frr() {   # start_frr NAME ADDR: config $W/NAME.conf, vty socket dir $W/NAME.vty
	local n=$1 addr=$2
	mkdir -p "$W/$n.vty"
	chown frr:frr "$W/$n.vty" 2>/dev/null || true
	spawn "$n" /usr/lib/frr/bgpd -f "$W/$n.conf" -n -Z -S -p "$PORT" -l "$addr" -P 0 \
		--vty_socket "$W/$n.vty" -i "$W/$n.pid"
	FRR_PID=$LAST_PID
	wait_for 10 "frr $n vty" vtysh --vty_socket "$W/$n.vty" -d bgpd -c 'show bgp summary'
}
vtysh_() { local n=$1; shift; local a=(); for c in "$@"; do a+=(-c "$c"); done
	vtysh --vty_socket "$W/$n.vty" -d bgpd "${a[@]}"; }
frr_established() {   # frr_established NAME PEER
	vtysh_ "$1" "show bgp neighbors $2 json" | grep -q '"bgpState":"Established"'
}

# The routes the BIRD side originates, as static blackholes; attributes come from
# the export filter, keyed on the prefix, so that many prefixes share one set.
bird_statics() {   # bird_statics PREFIX-OF-PROTOCOL-NAMES
	local p=$1 i
	echo "protocol static ${p}4a { ipv4;"
	for ((i = 0; i < 100; i++)); do echo "  route 10.11.$i.0/24 blackhole;"; done
	for ((i = 0; i < 10; i++)); do
		for j in 0 64 128 192; do echo "  route 10.12.$i.$j/26 blackhole;"; done
	done
	for ((i = 0; i < 20; i++)); do echo "  route 10.13.$i.0/24 blackhole;"; done
	echo "}"
	echo "protocol static ${p}4b { ipv4;"   # withdrawn later by disabling it
	for ((i = 0; i < 20; i++)); do echo "  route 10.14.$i.0/24 blackhole;"; done
	echo "  route 10.15.0.0/26 blackhole;"
	echo "  route 10.15.0.64/26 blackhole;"
	echo "}"
	echo "protocol static ${p}4alt { ipv4;"   # a second path for some prefixes (ADD-PATH)
	for ((i = 0; i < 5; i++)); do echo "  route 10.11.$i.0/24 blackhole;"; done
	echo "}"
	echo "protocol static ${p}6a { ipv6;"
	for ((i = 0; i < 30; i++)); do printf '  route 2001:db8:11%02x::/48 blackhole;\n' "$i"; done
	for ((i = 0; i < 8; i++)); do printf '  route 2001:db8:1200:%x::/64 blackhole;\n' "$i"; done
	echo "}"
	echo "protocol static ${p}6b { ipv6;"   # withdrawn later
	for ((i = 0; i < 10; i++)); do printf '  route 2001:db8:13%02x::/48 blackhole;\n' "$i"; done
	echo "}"
}

bird_export_filter() {   # bird_export_filter NAME ALTPROTO
	cat <<EOT
filter $1 {
  if net ~ [ 10.11.0.0/16{24,24} ] then {
    bgp_community.add((64512,100)); bgp_community.add((64512,200));
    bgp_large_community.add((4200000001,1,1));
  }
  if net ~ [ 10.12.0.0/16{26,26} ] then {
    bgp_ext_community.add((rt,64512,12)); bgp_ext_community.add((ro,4200000001,7));
    bgp_med = 50;
  }
  if net ~ [ 10.13.0.0/16+ ] then {
    bgp_path.prepend(65002); bgp_path.prepend(4200000001); bgp_path.prepend(65001);
    bgp_med = 10; bgp_local_pref = 200;
  }
  if net ~ [ 10.14.0.0/16+, 10.15.0.0/16+ ] then bgp_community.add((64512,14));
  if net ~ [ 2001:db8:1100::/40{48,48} ] then {
    bgp_community.add((64512,600)); bgp_large_community.add((64512,6,1)); bgp_med = 60;
  }
  if net ~ [ 2001:db8:1200::/40+ ] then bgp_ext_community.add((rt,64512,62));
  if proto = "$2" then { bgp_med = 999; bgp_community.add((64512,999)); }
  accept;
}
EOT
}

# ================================================================ session 1
# BIRD 2 (127.0.9.1, passive route reflector) <-> FRR bgpd (127.0.9.2, rr client),
# iBGP AS 64512, IPv4 + IPv6 unicast, ADD-PATH both ways, graceful restart, short timers.
session_bird_frr() {
	local B=127.0.9.1 F=127.0.9.2 i
	log "session bird-frr: $B (BIRD, RR) <-> $F (FRR)"
	{
		echo "router id $B;"
		echo "log \"$W/b1.daemon.log\" all;"
		echo "protocol device { scan time 60; }"
		bird_statics s
		bird_export_filter to_frr s4alt
		cat <<EOT
protocol bgp frr {
  local $B port $PORT as 64512;
  neighbor $F port $PORT as 64512;
  strict bind on;
  passive on;
  rr client;
  hold time 9; keepalive time 3;
  graceful restart on;
  enable extended messages on;
  ipv4 { import all; export filter to_frr; add paths on; next hop address 198.18.0.1; };
  ipv6 { import all; export filter to_frr; add paths on; next hop address 2001:db8:ffff::1; };
}
EOT
	} >"$W/b1.conf"
	{
		cat <<EOT
frr defaults traditional
hostname prism-fixture-frr
log file $W/f1.daemon.log
!
route-map NET-A permit 10
 set community 64512:21 64512:22 no-export
 set large-community 4200000001:21:1 64512:21:2
 set local-preference 150
route-map NET-B permit 10
 set extcommunity rt 64512:22 4200000001:23
 set metric 20
 set as-path prepend 4200000002 65010
route-map NET-C permit 10
 set community 64512:30
 set metric 5
route-map OUT4 permit 10
 set ip next-hop 198.18.1.2
route-map OUT6 permit 10
 set ipv6 next-hop global 2001:db8:ffff::2
 set ipv6 next-hop local fe80::2
!
router bgp 64512
 bgp router-id $F
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp allow-martian-nexthop
 bgp graceful-restart
 neighbor $B remote-as 64512
 neighbor $B port $PORT
 neighbor $B update-source $F
 neighbor $B timers 3 9
 neighbor $B timers connect 1
 address-family ipv4 unicast
EOT
		for ((i = 0; i < 60; i++)); do echo "  network 10.21.$i.0/24 route-map NET-A"; done
		for ((i = 0; i < 5; i++)); do
			for j in 0 64 128 192; do echo "  network 10.22.$i.$j/26 route-map NET-B"; done
		done
		for ((i = 0; i < 10; i++)); do echo "  network 10.23.$i.0/24"; done
		cat <<EOT
  neighbor $B addpath-tx-all-paths
  neighbor $B route-map OUT4 out
 exit-address-family
 address-family ipv6 unicast
EOT
		for ((i = 0; i < 20; i++)); do printf '  network 2001:db8:21%02x::/48 route-map NET-C\n' "$i"; done
		cat <<EOT
  neighbor $B activate
  neighbor $B addpath-tx-all-paths
  neighbor $B route-map OUT6 out
 exit-address-family
!
EOT
	} >"$W/f1.conf"
	chmod 644 "$W/f1.conf"

	start_capture bird-frr "$B" "$F"
	start_bird b1
	start_frr f1 "$F"
	wait_for 30 "bird-frr Established" bird_established b1 frr
	log "bird-frr established; letting the initial tables flow"
	sleep 4
	log "withdrawals"
	vtysh_ f1 'configure terminal' 'router bgp 64512' 'address-family ipv4 unicast' \
		'no network 10.23.0.0/24' 'no network 10.23.1.0/24' 'no network 10.23.2.0/24' \
		'no network 10.22.0.0/26' 'no network 10.22.0.64/26' \
		'exit-address-family' 'address-family ipv6 unicast' \
		'no network 2001:db8:2100::/48' 'no network 2001:db8:2101::/48'
	birdc_ b1 disable s4b
	birdc_ b1 disable s6b
	sleep 4
	log "route refresh both ways"
	birdc_ b1 reload in frr
	sleep 2
	vtysh_ f1 "clear bgp ipv4 unicast $B soft in"
	vtysh_ f1 "clear bgp ipv6 unicast $B soft in"
	sleep 4   # at least one KEEPALIVE each way (3 s)
	log "administrative shutdown with a shutdown communication"
	birdc_ b1 disable frr '"maintenance window"'
	sleep 2
	stop_capture
	stop_pid "$FRR_PID"; stop_pid "$BIRD_PID"
}

# ================================================================ session 2
# GoBGP (127.0.9.3, AS 4200000001) <-> BIRD 2 (127.0.9.4, AS 64512, passive), eBGP,
# IPv4 + IPv6 unicast, ADD-PATH both ways, graceful restart.
GOBGP_API=${PRISM_FIXTURE_GOBGP_API:-50979}
gobgp_() { gobgp -u 127.0.0.1 -p "$GOBGP_API" "$@"; }
gobgp_established() { gobgp_ neighbor "$1" | grep -qi 'BGP state *= *established'; }

session_gobgp_bird() {
	local G=127.0.9.3 B=127.0.9.4 i j
	log "session gobgp-bird: $G (GoBGP) <-> $B (BIRD)"
	cat >"$W/g2.toml" <<EOT
[global.config]
  as = 4200000001
  router-id = "$G"
  port = $PORT
  local-address-list = ["$G"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$B"
    peer-as = 64512
  [neighbors.transport.config]
    local-address = "$G"
    remote-port = $PORT
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 90
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
EOT
	{
		echo "router id $B;"
		echo "log \"$W/b2.daemon.log\" all;"
		echo "protocol device { scan time 60; }"
		bird_statics t
		bird_export_filter to_gobgp t4alt
		cat <<EOT
protocol bgp gobgp {
  local $B port $PORT as 64512;
  neighbor $G port $PORT as 4200000001;
  multihop;   # lo is not a shared subnet for BIRD; direct eBGP would refuse 127.0.9.3
  strict bind on;
  passive on;
  hold time 9; keepalive time 3;
  graceful restart on;
  ipv4 { import all; export filter to_gobgp; add paths on; next hop address 198.18.0.4; };
  ipv6 { import all; export filter to_gobgp; add paths on; next hop address 2001:db8:ffff::4; };
}
EOT
	} >"$W/b2.conf"

	start_capture gobgp-bird "$G" "$B"
	start_bird b2
	spawn g2 gobgpd -f "$W/g2.toml" -t toml --api-hosts "127.0.0.1:$GOBGP_API" --pprof-disable
	local gpid=$LAST_PID
	wait_for 15 "gobgpd API" gobgp_ global
	# the routes GoBGP announces (one UPDATE per path is GoBGP's way)
	for ((i = 0; i < 30; i++)); do
		gobgp_ global rib add -a ipv4 "10.31.$i.0/24" origin igp aspath 65100,4200000009 \
			nexthop 198.18.0.3 med 31 community 65000:31,65000:32 large-community 4200000001:31:1
	done
	for ((i = 0; i < 3; i++)); do
		for j in 0 64 128 192; do
			gobgp_ global rib add -a ipv4 "10.32.$i.$j/26" nexthop 198.18.0.3 rt 64512:32
		done
	done
	for ((i = 0; i < 3; i++)); do   # two paths per prefix, told apart by path identifier
		gobgp_ global rib add -a ipv4 "10.33.$i.0/24" identifier 1 nexthop 198.18.0.3 med 1
		gobgp_ global rib add -a ipv4 "10.33.$i.0/24" identifier 2 nexthop 198.18.0.33 med 2 aspath 4200000002
	done
	for ((i = 0; i < 10; i++)); do
		gobgp_ global rib add -a ipv6 "$(printf '2001:db8:31%02x::/48' "$i")" \
			nexthop 2001:db8:ffff::3 community 65000:600 large-community 4200000001:6:6
	done
	wait_for 30 "gobgp-bird Established" bird_established b2 gobgp
	log "gobgp-bird established; letting the initial tables flow"
	sleep 4
	log "withdrawals and late announcements"
	for ((i = 0; i < 4; i++)); do gobgp_ global rib del -a ipv4 "10.31.$i.0/24"; done
	gobgp_ global rib del -a ipv4 10.33.0.0/24 identifier 2
	gobgp_ global rib del -a ipv6 2001:db8:3100::/48
	gobgp_ global rib del -a ipv6 2001:db8:3101::/48
	gobgp_ global rib add -a ipv4 10.34.0.0/24 nexthop 198.18.0.3 community no-export
	birdc_ b2 disable t4b
	birdc_ b2 disable t6b
	sleep 3
	log "route refresh both ways"
	birdc_ b2 reload in gobgp
	sleep 2
	gobgp_ neighbor "$B" softresetin -a ipv4
	gobgp_ neighbor "$B" softresetin -a ipv6
	sleep 4
	log "administrative shutdown from GoBGP with a shutdown communication"
	gobgp_ neighbor "$B" shutdown --reason "prism fixture: planned shutdown"
	sleep 2
	stop_capture
	stop_pid "$gpid"; stop_pid "$BIRD_PID"
}

# ================================================================ session 3
# OpenBGPD (127.0.9.6, AS 4200000003, passive) <-> FRR bgpd (127.0.9.5, AS 64512), eBGP,
# IPv4 + IPv6 unicast, ADD-PATH (FRR sends, OpenBGPD receives), BGP roles (RFC 9234).
bgpctl_() { bgpctl -s "$W/o3.sock" "$@"; }
session_openbgpd_frr() {
	local O=127.0.9.6 F=127.0.9.5 i j
	log "session openbgpd-frr: $O (OpenBGPD) <-> $F (FRR)"
	[[ -d /run/openbgpd ]] || mkdir -p /run/openbgpd   # bgpd's chroot; systemd would make it
	{
		cat <<EOT
AS 4200000003
router-id $O
listen on $O port $PORT
socket "$W/o3.sock"
fib-update no
holdtime 9
EOT
		for ((i = 0; i < 40; i++)); do
			echo "network 10.41.$i.0/24 set { nexthop 198.18.0.6 community 65003:41 large-community 4200000003:41:1 med 41 }"
		done
		for ((i = 0; i < 4; i++)); do
			for j in 0 64 128 192; do
				echo "network 10.42.$i.$j/26 set { nexthop 198.18.0.6 ext-community rt 4200000003:42 prepend-self 2 }"
			done
		done
		for ((i = 0; i < 12; i++)); do
			printf 'network 2001:db8:41%02x::/48 set { nexthop 2001:db8:ffff::6 community 65003:6 }\n' "$i"
		done
		cat <<EOT
neighbor $F {
  remote-as 64512
  local-address $O
  passive
  descr "frr"
  holdtime 9
  announce IPv4 unicast
  announce IPv6 unicast
  announce add-path recv yes
  announce enhanced refresh yes
  announce policy peer
}
allow from any
allow to any
EOT
	} >"$W/o3.conf"
	{
		cat <<EOT
frr defaults traditional
hostname prism-fixture-frr
log file $W/f3.daemon.log
!
route-map NET-A permit 10
 set community 64512:51 64512:52
 set large-community 64512:51:1
 set metric 51
route-map OUT4 permit 10
 set ip next-hop 198.18.0.5
route-map OUT6 permit 10
 set ipv6 next-hop global 2001:db8:ffff::5
route-map ALL permit 10
!
router bgp 64512
 bgp router-id $F
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp allow-martian-nexthop
 bgp graceful-restart
 neighbor $O remote-as 4200000003
 neighbor $O port $PORT
 neighbor $O update-source $F
 neighbor $O disable-connected-check
 neighbor $O timers 3 9
 neighbor $O timers connect 1
 neighbor $O local-role peer
 address-family ipv4 unicast
EOT
		for ((i = 0; i < 25; i++)); do echo "  network 10.51.$i.0/24 route-map NET-A"; done
		for ((i = 0; i < 8; i++)); do echo "  network 10.52.0.$((i * 32))/27"; done
		cat <<EOT
  neighbor $O addpath-tx-all-paths
  neighbor $O route-map OUT4 out
  neighbor $O route-map ALL in
 exit-address-family
 address-family ipv6 unicast
EOT
		for ((i = 0; i < 6; i++)); do printf '  network 2001:db8:51%02x::/48\n' "$i"; done
		cat <<EOT
  neighbor $O activate
  neighbor $O route-map OUT6 out
  neighbor $O route-map ALL in
 exit-address-family
!
EOT
	} >"$W/f3.conf"
	chmod 644 "$W/f3.conf" "$W/o3.conf"
	bgpd -n -f "$W/o3.conf" || die "openbgpd config does not parse"

	start_capture openbgpd-frr "$O" "$F"
	spawn o3 bgpd -d -f "$W/o3.conf"
	local opid=$LAST_PID
	wait_for 10 "openbgpd control socket" bgpctl_ show summary
	start_frr f3 "$F"
	wait_for 30 "openbgpd-frr Established" frr_established f3 "$O"
	log "openbgpd-frr established; letting the initial tables flow"
	sleep 4
	log "withdrawals and late announcements"
	bgpctl_ network add 10.44.0.0/24 nexthop 198.18.0.6 community 65003:44 localpref 300
	bgpctl_ network add 10.44.1.0/24 nexthop 198.18.0.6 community 65003:44 localpref 300
	sleep 1
	bgpctl_ network delete 10.44.0.0/24
	vtysh_ f3 'configure terminal' 'router bgp 64512' 'address-family ipv4 unicast' \
		'no network 10.51.0.0/24' 'no network 10.51.1.0/24' 'no network 10.52.0.0/27' \
		'exit-address-family' 'address-family ipv6 unicast' 'no network 2001:db8:5100::/48'
	sleep 3
	log "route refresh both ways"
	bgpctl_ neighbor "$F" refresh
	sleep 2
	vtysh_ f3 "clear bgp ipv4 unicast $O soft in"
	vtysh_ f3 "clear bgp ipv6 unicast $O soft in"
	sleep 4
	log "administrative shutdown from OpenBGPD with a shutdown communication"
	bgpctl_ neighbor "$F" down "prism fixture: OpenBGPD going down"
	sleep 2
	stop_capture
	stop_pid "$FRR_PID"; stop_pid "$opid"
}

# ================================================================ main
# session name -> "addrA nameA addrB nameB" (file names are nameA-to-nameB.bgp etc.)
declare -A PAIRS=(
	[bird-frr]="127.0.9.1 bird 127.0.9.2 frr"
	[gobgp-bird]="127.0.9.3 gobgp 127.0.9.4 bird"
	[openbgpd-frr]="127.0.9.6 openbgpd 127.0.9.5 frr"
)
ALL_SESSIONS=(bird-frr gobgp-bird openbgpd-frr)
SESSIONS=("$@")
[[ ${#SESSIONS[@]} -gt 0 ]] || SESSIONS=("${ALL_SESSIONS[@]}")
mkdir -p "$W/out"
for s in "${SESSIONS[@]}"; do
	[[ -n ${PAIRS[$s]:-} ]] || die "unknown session $s (known: ${ALL_SESSIONS[*]})"
	case $s in
	bird-frr) session_bird_frr ;;
	gobgp-bird) session_gobgp_bird ;;
	openbgpd-frr) session_openbgpd_frr ;;
	esac
	read -r a na b nb <<<"${PAIRS[$s]}"
	fx split "$W/$s.pcap" "$a" "$b" "$W/out/$na-to-$nb.bgp" "$W/out/$nb-to-$na.bgp"
	fx oracle "$W/$s.pcap" "$PORT" "$a" "$b" "$W/out/$na-to-$nb.bgp" "$W/out/$nb-to-$na.bgp" \
		"$W/out/$na-to-$nb.tshark.tsv" "$W/out/$nb-to-$na.tshark.tsv"
	cp "$W/$s.pcap" "$W/out/$s.pcap"
	size=$(stat -c %s "$W/out/$s.pcap")
	((size < 1048576)) || die "$s.pcap is $size bytes, over 1 MiB"
done
# every session succeeded: only now replace the committed files
for f in "$W"/out/*; do
	install -m 0644 "$f" "$FIX/$(basename "$f")"
done
log "wrote $(ls "$W/out" | wc -l) files to $FIX"

# ---------------------------------------------------------------- README
versions() {
	echo "- BIRD: $(bird --version 2>&1 | head -n1)"
	echo "- FRR: $(/usr/lib/frr/bgpd --version 2>&1 | head -n1)"
	echo "- GoBGP: $(gobgpd --version 2>&1 | head -n1)"
	echo "- OpenBGPD: $(bgpd -V 2>&1 | head -n1)"
	echo "- tshark: $(tshark --version 2>/dev/null | head -n1)"
	echo "- kernel: $(uname -sr); captured with dumpcap on lo"
}
readme_static() {   # the README text kept at the end of this script, without its #R prefixes
	sed -n '/^#README-BEGIN$/,/^#README-END$/p' "${BASH_SOURCE[0]}" | sed '1d;$d' |
		sed 's/^#R //; s/^#R$//'
}
stream_section() {   # stream_section NAME-A NAME-B SESSION
	local na=$1 nb=$2 s=$3 d
	[[ -f $FIX/$na-to-$nb.bgp && -f $FIX/$nb-to-$na.bgp ]] || return 0
	echo "- pcap: \`$s.pcap\`; negotiated: $(fx negotiated "$na" "$FIX/$na-to-$nb.bgp" "$nb" "$FIX/$nb-to-$na.bgp")"
	echo
	for d in "$na-to-$nb" "$nb-to-$na"; do
		echo "#### \`$d.bgp\` (oracle \`$d.tshark.tsv\`)"
		echo
		fx describe "$FIX/$d.bgp" "$FIX/$d.tshark.tsv"
		echo
	done
}
{
	readme_static | sed -n '1,/^@SESSIONS@$/p' | sed '$d'
	echo "Generated by \`tools/capture-fixtures.sh\` on $(date -u +%Y-%m-%d) with:"
	echo
	versions
	echo
	echo "### Session bird-frr: BIRD 127.0.9.1 (route reflector, passive) <-> FRR 127.0.9.2 (rr client), iBGP AS 64512"
	echo
	stream_section bird frr bird-frr
	echo "### Session gobgp-bird: GoBGP 127.0.9.3 (AS 4200000001) <-> BIRD 127.0.9.4 (AS 64512, passive), eBGP"
	echo
	stream_section gobgp bird gobgp-bird
	echo "### Session openbgpd-frr: OpenBGPD 127.0.9.6 (AS 4200000003, passive) <-> FRR 127.0.9.5 (AS 64512), eBGP"
	echo
	stream_section openbgpd frr openbgpd-frr
	readme_static | sed -n '/^@SESSIONS@$/,$p' | sed '1d'
} >"$W/README.md"
install -m 0644 "$W/README.md" "$FIX/README.md"
for s in "${ALL_SESSIONS[@]}"; do
	read -r a na b nb <<<"${PAIRS[$s]}"
	for d in "$na-to-$nb" "$nb-to-$na"; do
		if [[ -f $FIX/$d.bgp ]]; then python3 "$FIX/check.py" "$FIX/$d.bgp" "$FIX/$d.tshark.tsv" >&2; fi
	done
done
log "done"
exit 0

#README-BEGIN
#R # BGP wire fixtures
#R
#R Real BGP byte streams captured from real daemons talking to each other on loopback,
#R plus a few small hand-made messages built from RFC text. The codec's tests decode
#R each stream and compare the result with an independent decode by tshark.
#R
#R Regenerate every captured file (as root; about 70 s; needs bird2, frr, gobgpd,
#R openbgpd, tshark and python3):
#R
#R     tools/capture-fixtures.sh                 # all three sessions
#R     tools/capture-fixtures.sh bird-frr        # or only some: bird-frr gobgp-bird openbgpd-frr
#R
#R The script starts each daemon with its own config, pid file and control socket in a
#R `mktemp -d` folder, binds only 127.0.9.x addresses on TCP port 11179
#R (`PRISM_FIXTURE_PORT` changes it), captures with `dumpcap -i lo`, stops every process it
#R started by PID (also on failure), and replaces files here only when every requested
#R session succeeded. It rewrites this README, so edit the text inside the script. Each run
#R gives new bytes (timings, message packing, path identifiers and prefix order can change),
#R so tests must read the `.tsv` oracle rather than hard-code counts.
#R `KEEP_SCRATCH=1` keeps the scratch folder with the configs and the daemons' logs.
#R
#R ## File formats
#R
#R - `A-to-B.bgp`: every byte A sent to B on the one TCP connection of the session, in order:
#R   an exact concatenation of whole BGP messages, each starting with 16 0xff bytes, from
#R   the OPEN to the last message before the connection closed. Reassembled from the pcap by
#R   TCP sequence number (retransmitted bytes must agree; a hole fails the script). The
#R   pcap may also show a reconnection attempt after the shutdown; the streams and the
#R   oracle come only from the first connection that carried data.
#R - `SESSION.pcap`: the raw capture (classic pcap, Ethernet link type as Linux writes lo).
#R   Decode with `tshark -r SESSION.pcap -d tcp.port==11179,bgp`.
#R - `A-to-B.tshark.tsv`: the oracle, from tshark's BGP dissector (PDML output), one line per
#R   BGP message in stream order, 9 tab-separated columns:
#R   1. message type (1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE, 5 ROUTE-REFRESH);
#R   2. withdrawn IPv4 prefixes; 3. IPv4 NLRI prefixes; 4. MP_REACH_NLRI prefixes;
#R   5. MP_UNREACH_NLRI prefixes, each as comma-separated `address/length`
#R      (`10.11.3.0/24`, `2001:db8:1100::/48`) in wire order, empty if none;
#R   6.–9. the ADD-PATH path identifiers of the prefixes in columns 2–5, one for one, in the
#R      same order (empty where the direction does not carry path identifiers).
#R   Lines always have 9 fields; a line of type 2 with all columns empty is an IPv4
#R   End-of-RIB, and one whose MP_UNREACH column is empty can be an IPv6 End-of-RIB. The
#R   script checks that the oracle has as many messages as the stream, with the same type
#R   and length, message by message, before writing it.
#R - `check.py`: walks the 19-byte headers of every `.bgp` here and compares the message
#R   count and types with its `.tsv` (`python3 tests/fixtures/check.py`).
#R
#R Counts below are from the files as written by the run that wrote this README. "UPDATE n"
#R includes the End-of-RIB markers; "ROUTE-REFRESH ... request/BoRR/EoRR" is the RFC 7313
#R subtype. Prefix counts come from the tshark oracle. "Attribute flags seen" counts
#R attributes by type and flags octet, so 0x50/0x90/0xd0 show where a daemon sets the
#R extended-length bit.
#R
#R ## Captured sessions
#R
#R @SESSIONS@
#R ### What each session does
#R
#R 1. **bird-frr** — iBGP AS 64512. BIRD is the route reflector (`rr client`, `passive on`) and
#R    announces from static blackhole routes, attributes set in its export filter:
#R    100 /24s in 10.11/16 with COMMUNITIES 64512:100 64512:200 and LARGE_COMMUNITY
#R    4200000001:1:1 (one attribute set, packed into few UPDATEs), 40 /26s in 10.12/16 with
#R    EXTENDED_COMMUNITIES (rt 64512:12, ro 4200000001:7) and MED 50, 20 /24s in 10.13/16
#R    with AS_PATH 65001 4200000001 65002, MED 10, LOCAL_PREF 200, 22 routes in 10.14–15/16
#R    later withdrawn, a second path (MED 999) for 10.11.0–4.0/24, 38 IPv6 prefixes
#R    (2001:db8:11xx::/48 and 2001:db8:1200:x::/64) and 10 more IPv6 /48s later withdrawn.
#R    Next hops are 198.18.0.1 and 2001:db8:ffff::1 (`next hop address`). FRR announces
#R    60 /24s (10.21/16, COMMUNITIES incl. no-export, LARGE_COMMUNITY, LOCAL_PREF 150), 20 /26s
#R    (10.22/16, EXTENDED_COMMUNITIES, MED 20, AS_PATH prepend 4200000002 65010), 10 /24s with
#R    no extras and 20 IPv6 /48s whose MP_REACH next hop is global 2001:db8:ffff::2 plus
#R    link-local fe80::2 (32 bytes). Then FRR withdraws 5 IPv4 and 2 IPv6 prefixes, BIRD 22
#R    IPv4 and 10 IPv6; `birdc reload in` (BIRD sends ROUTE-REFRESH, FRR answers with
#R    BoRR/routes/EoRR) and FRR `clear bgp ... soft in` (the reverse); keepalives every 3 s;
#R    finally `birdc disable frr "maintenance window"` sends Cease/Administrative Shutdown
#R    with that text. ADD-PATH send+receive is on in both directions for both families.
#R 2. **gobgp-bird** — eBGP, GoBGP AS 4200000001 (OPEN's My AS is AS_TRANS 23456) to BIRD AS
#R    64512 (`multihop`, since BIRD does not treat lo as a shared subnet). BIRD exports the
#R    same static routes as above (BIRD prepends 64512). GoBGP announces 30 /24s (AS_PATH
#R    4200000001 65100 4200000009, MED 31, COMMUNITIES, LARGE_COMMUNITY), 12 /26s with an
#R    extended community, 10.33.0–2.0/24 each with two paths (path identifiers 1 and 2) and
#R    10 IPv6 /48s; then withdraws 5 IPv4 paths and 2 IPv6 prefixes and adds one route with
#R    NO_EXPORT; BIRD withdraws its 10.14–15 and 2001:db8:13xx routes; `birdc reload in`
#R    makes BIRD send ROUTE-REFRESH; GoBGP answers by re-sending its table and an End-of-RIB
#R    per family (it has no enhanced route refresh). Finally `gobgp neighbor ... shutdown
#R    --reason` sends Cease/Administrative Shutdown with text. ADD-PATH is on both ways.
#R 3. **openbgpd-frr** — eBGP, OpenBGPD AS 4200000003 (passive, `fib-update no`) and FRR AS
#R    64512, both with BGP role `peer` (RFC 9234), so both add the OTC attribute (type 35).
#R    OpenBGPD announces 40 /24s (COMMUNITIES, LARGE_COMMUNITY, MED), 16 /26s (extended
#R    community rt 4200000003:42, `prepend-self 2`), 12 IPv6 /48s, then adds 2 and deletes 1
#R    route with `bgpctl network`. FRR announces 25 /24s, 8 /27s, 6 IPv6 /48s and withdraws 3
#R    IPv4 and 1 IPv6. ADD-PATH: FRR sends path identifiers (OpenBGPD announced receive only);
#R    OpenBGPD sends none. `bgpctl neighbor refresh` (OpenBGPD sends ROUTE-REFRESH; FRR
#R    answers with BoRR/EoRR), then FRR's ROUTE-REFRESHes, and finally `bgpctl neighbor ...
#R    down "text"` sends Cease/Administrative Shutdown with text.
#R
#R ### Things worth knowing when decoding these
#R
#R - Attribute order differs by daemon: BIRD puts MP_REACH_NLRI first; GoBGP puts
#R   MP_REACH_NLRI after COMMUNITIES, and sometimes MED or NEXT_HOP out of type-code order
#R   (`ORIGIN AS_PATH MED NEXT_HOP`); OpenBGPD puts MP_REACH_NLRI last, after OTC; FRR puts
#R   MP_REACH_NLRI first. A decoder must not assume any order.
#R - Extended-length flag: FRR always sets it on AS_PATH (flags 0x50) even when short;
#R   BIRD, FRR and OpenBGPD set it on MP_REACH_NLRI (0x90), GoBGP does not (0x80); BIRD and
#R   FRR set it on MP_UNREACH_NLRI carrying withdrawals. The IPv6 End-of-RIB's empty
#R   MP_UNREACH_NLRI is sent with flags 0x80 by all four.
#R - Only FRR sends a 32-byte MP_REACH next hop (global + link-local, from `set ipv6
#R   next-hop local`); the others send 16 bytes.
#R - GoBGP and OpenBGPD send My AS 23456 (AS_TRANS) in the OPEN with the real 4-octet AS
#R   in the capability. FRR sends both the old Cisco (128) and the standard (2) route-refresh
#R   capabilities, and an FQDN capability (73) with its hostname; GoBGP's FQDN capability
#R   carries this machine's hostname. BIRD and FRR advertise long-lived graceful restart
#R   (71); OpenBGPD advertises graceful restart with restart time 0 and no families. With
#R   BGP roles (capability 9) both OpenBGPD and FRR add OTC (attribute 35, flags 0xc0).
#R - With enhanced route refresh both ways, the responder wraps its answer in BoRR and EoRR
#R   (ROUTE-REFRESH subtypes 1 and 2, 23 bytes each).
#R - OpenBGPD 7.7 ignored FRR's ROUTE-REFRESH requests here (its log says "route refresh:
#R   AID IPv4 unicast not negotiated"), so `openbgpd-to-frr` has no BoRR/EoRR. In that
#R   session FRR also sent one extra ROUTE-REFRESH per family right after its `network`
#R   configuration changed.
#R - GoBGP's `neighbor softresetin` re-applies policy locally and sends no ROUTE-REFRESH.
#R - FRR withholds its first UPDATEs for about 1 s; BIRD packs many prefixes per UPDATE;
#R   GoBGP packed IPv4 prefixes that share attributes but sent one UPDATE per IPv6 prefix
#R   and per later change.
#R
#R ## Hand-made fixtures (`*.hex`)
#R
#R Hex text; whitespace is ignored; lines starting with `#` are comments naming the source.
#R Each holds exactly one message and was checked by decoding it with tshark.
#R
#R | file | message |
#R |---|---|
#R | `rfc4271-keepalive.hex` | KEEPALIVE, 19 bytes |
#R | `rfc4271-open-minimal.hex` | OPEN, AS 65001, hold 180, id 192.0.2.1, no optional parameters |
#R | `rfc4271-update-one-prefix.hex` | UPDATE: ORIGIN, 4-octet AS_PATH [65001], NEXT_HOP 192.0.2.1, NLRI 198.51.100.0/24 |
#R | `rfc4724-eor-ipv4.hex` | IPv4 unicast End-of-RIB (empty UPDATE) |
#R | `rfc4724-eor-ipv6.hex` | IPv6 unicast End-of-RIB (empty MP_UNREACH_NLRI) |
#R | `rfc2918-route-refresh-ipv4.hex` | ROUTE-REFRESH, IPv4 unicast |
#R | `rfc8203-cease-shutdown.hex` | NOTIFICATION Cease/Administrative Shutdown, text "maintenance" |
#README-END
