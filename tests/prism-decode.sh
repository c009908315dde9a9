#!/usr/bin/env bash
# Integration test for tools/prism-decode: hand-built messages with known verdicts, pcap files
# built here in every supported variant, and the captured fixtures against tshark's reading.
# Usage: bash tests/prism-decode.sh BUILD_DIR
set -euo pipefail

BUILD_DIR=${1:?usage: prism-decode.sh BUILD_DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIX=$ROOT/tests/fixtures
DEC=$BUILD_DIR/tools/prism-decode
[[ -x $DEC ]] || { echo "FAIL: $DEC not built" >&2; exit 1; }
T=$(mktemp -d /tmp/prism-decode-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

PASS=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }

# decode WANT_RC OUT args...: runs prism-decode and insists on its exit status.
decode() {
	local want=$1 out=$2 rc=0
	shift 2
	"$DEC" "$@" >"$out" 2>"$out.stderr" || rc=$?
	[[ $rc -eq $want ]] || {
		cat "$out" "$out.stderr" >&2
		fail "prism-decode $*: exit $rc, want $want"
	}
}

# check OUT EXPR: EXPR is Python over m, the list of decoded JSON objects.
check() {
	python3 - "$1" "$2" <<'PY' || fail "check '$2' on $1"
import json, sys
m = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not eval(sys.argv[2]):
    print(json.dumps(m, indent=1)[:4000], file=sys.stderr)
    sys.exit(1)
PY
}

# ---- message builders, shared by the hex cases and the pcap generator ----
cat >"$T/bgp.py" <<'PY'
import struct

def msg(t, body=b''):
    return b'\xff' * 16 + struct.pack('!HB', 19 + len(body), t) + body

def open_msg(asn, caps):
    cb = b''.join(bytes([c, len(v)]) + v for c, v in caps)
    opt = bytes([2, len(cb)]) + cb
    return msg(1, struct.pack('!BHHI', 4, min(asn, 23456), 180, 0x0a000001) +
               bytes([len(opt)]) + opt)

def update(withdrawn=b'', attrs=b'', nlri=b''):
    return msg(2, struct.pack('!H', len(withdrawn)) + withdrawn +
               struct.pack('!H', len(attrs)) + attrs + nlri)

ORIGIN_IGP = bytes.fromhex('40010100')
ASPATH4 = bytes.fromhex('400206020100000064')  # AS_SEQUENCE [100], 4-octet
NEXTHOP = bytes.fromhex('4003040a000001')
AS4 = (65, struct.pack('!I', 64512))

def addpath(mode):
    return (69, struct.pack('!HBB', 1, 1, mode))
PY

hexof() { python3 -c "import sys; sys.path.insert(0, '$T'); from bgp import *; print(($1).hex())"; }
binof() { python3 -c "import sys; sys.path.insert(0, '$T'); from bgp import *; sys.stdout.buffer.write($1)"; }

# ---- hand-built messages ----
hexof 'msg(4)' | sed 's/^/0x/' >"$T/keepalive.hex"
decode 0 "$T/out" --hex "$T/keepalive.hex"
check "$T/out" 'len(m) == 1 and m[0]["type"] == "KEEPALIVE" and m[0]["offset"] == 0 and m[0]["length"] == 19'
ok "hex KEEPALIVE"

{ echo "# comments and spacing are ignored"; hexof 'msg(4)' | fold -w 6; } >"$T/spaced.hex"
decode 0 "$T/out" --hex "$T/spaced.hex"
check "$T/out" 'm[0]["type"] == "KEEPALIVE"'
ok "hex with comments and line breaks"

binof 'msg(4) + msg(4)[:10]' >"$T/trunc.bgp"
decode 2 "$T/out" "$T/trunc.bgp"
check "$T/out" 'len(m) == 2 and m[1]["error"] == {"reason": "truncated", "offset": 19, "have": 10, "need": 19}'
ok "truncated stream exits 2"

binof 'b"\xfe" + msg(4)[1:] + msg(4)' >"$T/marker.bgp"
decode 1 "$T/out" - <"$T/marker.bgp"
check "$T/out" 'len(m) == 1 and m[0]["error"]["code"] == 1 and m[0]["error"]["subcode"] == 1 and m[0]["type"] == "KEEPALIVE"'
ok "bad marker stops the stream, exit 1"

hexof 'update(attrs=bytes.fromhex("40010105") + ASPATH4 + NEXTHOP, nlri=bytes.fromhex("100a01")) + msg(4)' >"$T/origin.hex"
decode 1 "$T/out" --hex "$T/origin.hex"
check "$T/out" 'len(m) == 2 and m[0]["nlri"] == ["10.1.0.0/16"] and m[0]["error"]["action"] == "treat-as-withdraw" and m[0]["error"]["code"] == 3 and m[0]["error"]["subcode"] == 6 and m[0]["error"]["attr_code"] == 1 and m[1]["type"] == "KEEPALIVE"'
ok "malformed ORIGIN is treat-as-withdraw, 3/6"

# ADD-PATH follows the OPEN in --auto mode, and only then.
hexof 'open_msg(64512, [AS4, addpath(3)]) + update(attrs=ORIGIN_IGP + ASPATH4 + NEXTHOP, nlri=bytes.fromhex("00000007100a01"))' >"$T/addpath.hex"
decode 0 "$T/out" --hex "$T/addpath.hex"
check "$T/out" 'm[0]["type"] == "OPEN" and m[0]["capabilities"][1]["families"][0]["mode"] == "both" and m[1]["nlri"] == ["10.1.0.0/16#7"] and m[1]["attrs"]["origin"] is not None'
decode 0 "$T/out" --hex --no-auto --addpath ipv4 "$T/addpath.hex"
check "$T/out" 'm[1]["nlri"] == ["10.1.0.0/16#7"]'
decode 1 "$T/out" --hex --no-auto "$T/addpath.hex"
check "$T/out" '"error" in m[1]'
ok "ADD-PATH from the OPEN (--auto) and from --addpath"

hexof 'msg(3, bytes.fromhex("060205") + b"hello") + msg(5, bytes.fromhex("00010201")) + update()' >"$T/misc.hex"
decode 0 "$T/out" --hex "$T/misc.hex"
check "$T/out" 'm[0]["shutdown_message"] == "hello" and m[0]["code_name"] and m[1]["subtype"] == "EoRR" and m[1]["afi"] == "ipv4" and m[2]["end_of_rib"] is True'
ok "NOTIFICATION, ROUTE-REFRESH, End-of-RIB"

decode 64 "$T/out" --bogus
decode 64 "$T/out" --hex --pcap
decode 64 "$T/out" --port 0 --pcap
decode 66 "$T/out" "$T/does-not-exist"
decode 1 "$T/out" --hex <<<"zz"
decode 0 "$T/out" --help
ok "usage and input errors: 64, 66, 1"

# ---- pcap files built here: every link type and byte order, reordering, retransmission ----
cat >"$T/mkpcap.py" <<'PY'
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
from bgp import *

def csum(b):
    return 0  # prism-decode does not check checksums; zero keeps the builder short

def tcp(sport, dport, seq, flags, data):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + data

def ipv4(src, dst, payload):
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0x4000, 64, 6, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + payload

def ipv6(src, dst, payload):
    return struct.pack('!IHBB16s16s', 6 << 28, len(payload), 6, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload

def link(linktype, ip, v6):
    et = 0x86dd if v6 else 0x0800
    if linktype == 1:    # Ethernet with an 802.1Q tag, padded as on the wire
        f = b'\x02' * 6 + b'\x04' * 6 + struct.pack('!HHH', 0x8100, 10, et) + ip
        return f + b'\x00' * max(0, 60 - len(f))
    if linktype == 113:
        return struct.pack('!HHH8sH', 0, 772, 6, b'', et) + ip
    if linktype == 0:
        return struct.pack('<I', 30 if v6 else 2) + ip
    return ip           # 101, raw IP

def write(path, linktype, big_endian, nsec, v6, port):
    e = '>' if big_endian else '<'
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    a, b = ('2001:db8::1', '2001:db8::2') if v6 else ('192.0.2.1', '192.0.2.2')
    pa, pb = 40000, port
    ip = ipv6 if v6 else ipv4
    isn_a, isn_b = 0xfffffff0, 1000   # A's sequence numbers wrap around
    upd = update(attrs=ORIGIN_IGP + ASPATH4 + NEXTHOP,
                 nlri=bytes.fromhex('00000007100a01' + '00000009180b0c0d'))
    sa = open_msg(64512, [AS4, addpath(2)]) + upd + msg(4)   # A sends path IDs ...
    sb = open_msg(64512, [AS4, addpath(1)]) + msg(4) + upd[:30]  # ... B receives them
    pkts = []
    def seg(src, dst, sp, dp, seq, flags, data):
        pkts.append(link(linktype, ip(src, dst, tcp(sp, dp, seq & 0xffffffff, flags, data)), v6))
    seg(a, b, pa, pb, isn_a, 0x02, b'')
    seg(b, a, pb, pa, isn_b, 0x12, b'')
    o = len(open_msg(64512, [AS4, addpath(2)]))
    seg(a, b, pa, pb, isn_a + 1, 0x18, sa[:o])
    seg(b, a, pb, pa, isn_b + 1, 0x18, sb)
    seg(a, b, pa, pb, isn_a + 1 + o + 20, 0x18, sa[o + 20:])     # out of order ...
    seg(a, b, pa, pb, isn_a + 1 + o, 0x18, sa[o:o + 25])         # ... then overlapping
    seg(a, b, pa, pb, isn_a + 1, 0x18, sa[:o])                   # a retransmission
    seg(b, a, 5555, 7777, 1, 0x18, b'not bgp')                   # another port: ignored
    out = struct.pack(e + 'IHHiIII', magic, 2, 4, 0, 0, 262144, linktype)
    for i, p in enumerate(pkts):
        out += struct.pack(e + 'IIII', 1700000000 + i, 5, len(p), len(p)) + p
    open(path, 'wb').write(out)

for name, lt, be, ns, v6 in [('eth', 1, False, False, False), ('sll6', 113, True, True, True),
                             ('raw', 101, False, True, False), ('null6', 0, True, False, True)]:
    write(f'{sys.argv[1]}/{name}.pcap', lt, be, ns, v6, int(sys.argv[2]))
PY
python3 "$T/mkpcap.py" "$T" 179
for p in eth sll6 raw null6; do
	decode 2 "$T/out" --pcap "$T/$p.pcap"
	# capture order: a message counts from the record that let TCP deliver it
	check "$T/out" '[x.get("type") for x in m] == ["OPEN", "OPEN", "KEEPALIVE", "UPDATE", "KEEPALIVE", None]'
	check "$T/out" '[x["nlri"] for x in m if x.get("type") == "UPDATE"] == [["10.1.0.0/16#7", "11.12.13.0/24#9"]] and all("src" in x and "dst" in x for x in m)'
	check "$T/out" 'm[-1]["error"]["reason"] == "truncated" and m[-1]["error"]["have"] == 30 and m[-1]["src"].endswith(":179")'
done
python3 "$T/mkpcap.py" "$T" 1179
decode 2 "$T/out" --pcap --port 1179 "$T/eth.pcap"
check "$T/out" 'len(m) == 6'
head -c 90 "$T/eth.pcap" >"$T/cut.pcap"
decode 1 "$T/out" --pcap "$T/cut.pcap"
check "$T/out" 'any("pcap" in x.get("error", {}).get("reason", "") for x in m)'
ok "pcap: Ethernet/VLAN, SLL, raw, null; both byte orders; us and ns; reassembly; ADD-PATH negotiation"

# ---- robustness: random bytes and mangled pcaps must never crash ----
python3 - "$T" <<'PY'
import os, random, sys
random.seed(7)
d = sys.argv[1]
base = open(f'{d}/eth.pcap', 'rb').read()
for i in range(40):
    b = bytearray(base)
    for _ in range(random.randint(1, 20)):
        b[random.randrange(24, len(b))] = random.randrange(256)
    open(f'{d}/fuzz{i}.pcap', 'wb').write(b)
    open(f'{d}/fuzz{i}.bgp', 'wb').write(b'\xff' * 16 + os.urandom(random.randint(0, 200)))
PY
for i in $(seq 0 39); do
	for mode in --pcap ""; do
		f=$T/fuzz$i.pcap
		[[ -z $mode ]] && f=$T/fuzz$i.bgp
		rc=0
		"$DEC" $mode "$f" >/dev/null 2>&1 || rc=$?
		((rc <= 2)) || fail "prism-decode $mode $f: exit $rc"
	done
done
ok "mangled inputs exit 0, 1 or 2"

# ---- captured fixtures against tshark ----
shopt -s nullglob
bgps=("$FIX"/*.bgp)
for f in "${bgps[@]}"; do
	decode 0 "$T/out" "$f"
	tsv=${f%.bgp}.tshark.tsv
	[[ -f $tsv ]] || fail "$f has no ${tsv##*/}"
	python3 - "$T/out" "$tsv" <<'PY' || fail "$f disagrees with ${tsv##*/}"
import json, sys
# tests/fixtures/README.md: 9 tab-separated columns; type number, then withdrawn, NLRI,
# MP_REACH and MP_UNREACH prefixes, then the ADD-PATH ids of those four, one for one.
names = {'1': 'OPEN', '2': 'UPDATE', '3': 'NOTIFICATION', '4': 'KEEPALIVE', '5': 'ROUTE-REFRESH'}
msgs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]

def column(prefixes, ids):
    p = [x for x in prefixes.split(',') if x]
    i = [x for x in ids.split(',') if x]
    if i and len(i) != len(p):
        sys.exit(f'oracle: {len(p)} prefixes but {len(i)} path ids')
    # prefix_format() shows "#id" only for a nonzero id
    return {f'{x}#{n}' if i and n != '0' else x for x, n in zip(p, i or ['0'] * len(p))}

rows = []
for line in open(sys.argv[2]):
    cols = line.rstrip('\n').split('\t')
    if len(cols) != 9:
        sys.exit(f'oracle line with {len(cols)} columns')
    rows.append((names.get(cols[0], cols[0]), [column(cols[k], cols[k + 4]) for k in range(1, 5)]))
if len(rows) != len(msgs):
    sys.exit(f'{len(rows)} oracle rows, {len(msgs)} messages')
for i, ((t, want), x) in enumerate(zip(rows, msgs)):
    if t != x.get('type'):
        sys.exit(f'message {i}: type {x.get("type")}, oracle {t}')
    got = [set(x.get('withdrawn', [])), set(x.get('nlri', [])),
           set(x.get('mp_reach', {}).get('nlri', [])),
           set(x.get('mp_unreach', {}).get('withdrawn', []))]
    if got != want:
        sys.exit(f'message {i} at offset {x.get("offset")}: {got} != {want}')
PY
	ok "fixture ${f##*/} matches tshark"
done

# SESSION.pcap holds both directions of A-B, whose session is also in A-to-B.bgp and
# B-to-A.bgp. The capture may hold more connections (a collision, a retry), so each stream
# must equal, message for message, one direction of one connection in the pcap.
for p in "$FIX"/*.pcap; do
	name=${p##*/}
	name=${name%.pcap}
	a=${name%%-*} b=${name#*-}
	[[ -f $FIX/$a-to-$b.bgp && -f $FIX/$b-to-$a.bgp ]] ||
		fail "${p##*/}: no $a-to-$b.bgp and $b-to-$a.bgp beside it"
	decode 0 "$T/ab.out" "$FIX/$a-to-$b.bgp"
	decode 0 "$T/ba.out" "$FIX/$b-to-$a.bgp"
	for port in ${PRISM_FIXTURE_PORT:-11179} 179; do
		decode 0 "$T/p.out" --pcap --port "$port" "$p"
		[[ -s $T/p.out ]] && break
	done
	python3 - "$T/p.out" "$T/ab.out" "$T/ba.out" <<'PY' || fail "${p##*/} disagrees with its streams"
import json, sys
load = lambda f: [json.loads(l) for l in open(f) if l.strip()]
pcap, ab, ba = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
dirs = {}
for x in pcap:
    dirs.setdefault((x['src'], x['dst']), []).append(
        {k: v for k, v in x.items() if k not in ('src', 'dst', 'time')})
hit = lambda s: [d for d, msgs in dirs.items() if msgs == s]
fwd, rev = hit(ab), hit(ba)
if not any((d[1], d[0]) in rev for d in fwd):
    sys.exit(f'no connection carries both streams; directions: '
             f'{ {d: len(m) for d, m in dirs.items()} }')
print(f'{len(ab)} + {len(ba)} messages; {len(dirs)} directions in the capture')
PY
	ok "pcap fixture ${p##*/}: both streams found in pcap mode"
done

echo "prism-decode: $PASS checks passed"
