#!/usr/bin/env python3
"""Four raw BGP speakers for tests/refresh.sh (standard library only), driven one step after
another from one process: route refresh (RFC 2918) and enhanced route refresh (RFC 7313)
against one prismd, seen on the wire.

All four are iBGP route-reflector clients of prismd, with hold time 30:
  A  offers multiprotocol IPv4 unicast, route refresh, enhanced route refresh, 4-octet AS;
     announces N prefixes, later refreshes them itself (BoRR, half of them, EoRR)
  B  the same capabilities; asks prismd for a refresh (ROUTE-REFRESH subtype 0)
  C  the same without enhanced route refresh; asks for a plain refresh
  D  as B, connecting last: sends its first KEEPALIVE and a ROUTE-REFRESH in one segment,
     so that the refresh arrives while prismd prepares its first table

Each check prints one PASS or FAIL line. A broken session, or prismd gone, stops the run at
once. Once the checks are done the speakers stay connected, the file named by --ready is
written, and each must then be sent a Cease (administrative shutdown) by the prismd being
stopped, and see its connection close. Exit status 0 only when every check passed.

usage: speaker.py --rr ADDR:PORT --api ADDR:PORT --cluster-id ID --ready FILE A B C D
"""
import argparse
import ipaddress
import json
import select
import socket
import struct
import sys
import time
import urllib.request

ASN = 64512
HOLD_S = 30
KEEPALIVE_S = HOLD_S // 3
CONNECT_S = 10  # to connect and reach Established
ANSWER_S = 5  # for prismd to answer one message (milliseconds, unless something is wrong)
QUIET_S = 1  # with nothing more coming, after an answer was complete
STOP_S = 20  # after --ready, for the Cease: the script stops prismd within this

N_PREFIXES = 20
PREFIXES = ["10.18.%d.0/24" % i for i in range(N_PREFIXES)]
FIRST_HALF = PREFIXES[: N_PREFIXES // 2]
SECOND_HALF = PREFIXES[N_PREFIXES // 2 :]
NEXT_HOP = "198.18.18.2"
COMMUNITY = "64512:18"
LOCAL_PREF = 100

MSG_OPEN, MSG_UPDATE, MSG_NOTIFICATION, MSG_KEEPALIVE, MSG_REFRESH = 1, 2, 3, 4, 5
MSG_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
RR_NORMAL, RR_BORR, RR_EORR = 0, 1, 2
RR_NAMES = {RR_NORMAL: "ROUTE-REFRESH", RR_BORR: "BoRR", RR_EORR: "EoRR"}
AFI_IPV4, SAFI_UNICAST = 1, 1
CAP_MP, CAP_RR, CAP_AS4, CAP_ERR = 1, 2, 65, 70
ATTR_ORIGIN, ATTR_AS_PATH, ATTR_NEXT_HOP, ATTR_LOCAL_PREF = 1, 2, 3, 5
ATTR_COMMUNITIES, ATTR_ORIGINATOR_ID, ATTR_CLUSTER_LIST = 8, 9, 10
CEASE, CEASE_ADMIN_SHUTDOWN = 6, 2
HDR_LEN = 19


class Fatal(Exception):
    """The run cannot go on: a session broke, or never came up."""


def say(text):
    print("refresh: " + text, flush=True)


def frame(msg_type, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", HDR_LEN + len(body), msg_type) + body


def ip4(text):
    return ipaddress.IPv4Address(text).packed


def cap(code, value=b""):
    return struct.pack("!BB", code, len(value)) + value


def open_body(router_id, caps):
    params = b"".join(struct.pack("!BB", 2, len(c)) + c for c in caps)
    return struct.pack("!BHH4sB", 4, ASN, HOLD_S, ip4(router_id), len(params)) + params


def refresh_body(subtype):
    return struct.pack("!HBB", AFI_IPV4, subtype, SAFI_UNICAST)


def attr(flags, code, value):
    return struct.pack("!BBB", flags, code, len(value)) + value


def nlri(prefixes):
    out = b""
    for p in prefixes:
        net = ipaddress.IPv4Network(p)
        out += bytes([net.prefixlen]) + net.network_address.packed[: (net.prefixlen + 7) // 8]
    return out


def announce_body(prefixes):
    high, low = (int(x) for x in COMMUNITY.split(":"))
    attrs = (
        attr(0x40, ATTR_ORIGIN, b"\x00")
        + attr(0x40, ATTR_AS_PATH, b"")
        + attr(0x40, ATTR_NEXT_HOP, ip4(NEXT_HOP))
        + attr(0x40, ATTR_LOCAL_PREF, struct.pack("!I", LOCAL_PREF))
        + attr(0xC0, ATTR_COMMUNITIES, struct.pack("!HH", high, low))
    )
    return struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri(prefixes)


def parse_prefixes(data):
    out, i = [], 0
    while i < len(data):
        plen = data[i]
        n = (plen + 7) // 8
        if plen > 32 or i + 1 + n > len(data):
            raise ValueError("bad IPv4 prefix at offset %d" % i)
        addr = data[i + 1 : i + 1 + n] + bytes(4 - n)
        out.append(str(ipaddress.IPv4Network((addr, plen))))
        i += 1 + n
    return out


def parse_attrs(data):
    attrs, i = {}, 0
    while i < len(data):
        if i + 3 > len(data):
            raise ValueError("truncated attribute header")
        flags, code = data[i], data[i + 1]
        if flags & 0x10:
            if i + 4 > len(data):
                raise ValueError("truncated attribute header")
            (length,) = struct.unpack_from("!H", data, i + 2)
            i += 4
        else:
            length = data[i + 2]
            i += 3
        if i + length > len(data):
            raise ValueError("attribute %d runs past the end" % code)
        if code in attrs:
            raise ValueError("attribute %d twice" % code)
        attrs[code] = data[i : i + length]
        i += length
    return attrs


def parse_update(body):
    """(withdrawn, attributes, announced); raises ValueError on a bad UPDATE."""
    if len(body) < 4:
        raise ValueError("UPDATE shorter than 4 octets")
    (wlen,) = struct.unpack_from("!H", body, 0)
    if 2 + wlen + 2 > len(body):
        raise ValueError("withdrawn routes length runs past the end")
    withdrawn = parse_prefixes(body[2 : 2 + wlen])
    (alen,) = struct.unpack_from("!H", body, 2 + wlen)
    start = 4 + wlen
    if start + alen > len(body):
        raise ValueError("path attribute length runs past the end")
    return withdrawn, parse_attrs(body[start : start + alen]), parse_prefixes(body[start + alen :])


def attrs_problem(attrs, originator, cluster_id):
    """What is wrong with a reflected path of A's, or None."""
    want = {
        ATTR_ORIGIN: b"\x00",
        ATTR_AS_PATH: b"",
        ATTR_NEXT_HOP: ip4(NEXT_HOP),
        ATTR_LOCAL_PREF: struct.pack("!I", LOCAL_PREF),
        ATTR_COMMUNITIES: struct.pack("!HH", *(int(x) for x in COMMUNITY.split(":"))),
        ATTR_ORIGINATOR_ID: ip4(originator),
        ATTR_CLUSTER_LIST: ip4(cluster_id),
    }
    for code, value in want.items():
        if code not in attrs:
            return "attribute %d missing" % code
        if attrs[code] != value:
            return "attribute %d is %s, not %s" % (code, attrs[code].hex(), value.hex())
    extra = sorted(set(attrs) - set(want))
    return "unexpected attributes %s" % extra if extra else None


class Speaker:
    """One BGP session to prismd. What it is sent is kept in order in events:
    ("update", withdrawn, attrs, announced), ("eor",), ("refresh", subtype, afi, safi)."""

    def __init__(self, name, addr, caps, early_refresh=False):
        self.name, self.addr, self.caps = name, addr, caps
        # hold the KEEPALIVE back until prismd's, then send it with a ROUTE-REFRESH
        self.early_refresh = early_refresh
        self.sock = None
        self.buf = b""
        self.state = "Idle"
        self.events = []
        self.table = {}  # prefix -> attributes, as prismd has sent them
        self.peer_caps = {}
        self.peer_hold = None
        self.last_sent = 0.0
        self.notification = None
        self.closed = None  # why the connection ended
        self.expect_close = False

    def __str__(self):
        return "%s (%s)" % (self.name, self.addr)

    def send(self, msg_type, body=b""):
        self.send_raw(frame(msg_type, body))

    def send_raw(self, data):
        """One sendall: on loopback, with TCP_NODELAY, one segment."""
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Fatal("%s: cannot send %s: %s" % (self, MSG_NAMES[data[18]], e)) from e
        self.last_sent = time.monotonic()

    def connect(self, rr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(CONNECT_S)
        try:
            s.bind((self.addr, 0))
            s.connect(rr)
        except OSError as e:
            s.close()
            raise Fatal("%s: cannot connect to %s:%d: %s" % (self, rr[0], rr[1], e)) from e
        self.sock = s
        self.send(MSG_OPEN, open_body(self.addr, self.caps))
        self.state = "OpenSent"

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def since(self, mark):
        return self.events[mark:]

    def read(self):
        """Reads what the socket has and handles every whole message in it."""
        try:
            data = self.sock.recv(65536)
        except OSError as e:
            data, why = b"", str(e)
        else:
            why = "closed by prismd"
        if not data:
            self.closed = why
            self.close()
            return
        self.buf += data
        while len(self.buf) >= HDR_LEN:
            if self.buf[:16] != b"\xff" * 16:
                raise Fatal("%s: a message without the marker: %s" % (self, self.buf[:19].hex()))
            length, msg_type = struct.unpack_from("!HB", self.buf, 16)
            if length < HDR_LEN or length > 4096:
                raise Fatal("%s: a message of length %d" % (self, length))
            if len(self.buf) < length:
                break
            body, self.buf = self.buf[HDR_LEN:length], self.buf[length:]
            self.handle(msg_type, body)

    def handle(self, msg_type, body):
        if msg_type == MSG_OPEN:
            self.on_open(body)
        elif msg_type == MSG_KEEPALIVE:
            if self.state == "OpenReceived":
                self.state = "Established"
                self.send_raw(frame(MSG_KEEPALIVE) + frame(MSG_REFRESH, refresh_body(RR_NORMAL)))
                return
            if self.state == "OpenConfirm":
                self.state = "Established"
            self.send(MSG_KEEPALIVE)
        elif msg_type == MSG_UPDATE:
            self.on_update(body)
        elif msg_type == MSG_REFRESH:
            if len(body) != 4:
                raise Fatal("%s: a ROUTE-REFRESH of %d octets" % (self, HDR_LEN + len(body)))
            afi, subtype, safi = struct.unpack("!HBB", body)
            self.events.append(("refresh", subtype, afi, safi))
        elif msg_type == MSG_NOTIFICATION:
            code, subcode = (body[0], body[1]) if len(body) >= 2 else (0, 0)
            self.notification = (code, subcode, body[2:])
        else:
            raise Fatal("%s: a message of unknown type %d" % (self, msg_type))

    def on_open(self, body):
        if self.state != "OpenSent" or len(body) < 10:
            raise Fatal("%s: an OPEN in %s, %d octets" % (self, self.state, len(body)))
        _, _, self.peer_hold, _, plen = struct.unpack_from("!BHH4sB", body)
        params, i = body[10 : 10 + plen], 0
        while i + 2 <= len(params):
            ptype, pl = params[i], params[i + 1]
            value, i = params[i + 2 : i + 2 + pl], i + 2 + pl
            j = 0
            while ptype == 2 and j + 2 <= len(value):
                code, cl = value[j], value[j + 1]
                self.peer_caps.setdefault(code, []).append(value[j + 2 : j + 2 + cl])
                j += 2 + cl
        if self.early_refresh:
            self.state = "OpenReceived"
            return
        self.send(MSG_KEEPALIVE)
        self.state = "OpenConfirm"

    def on_update(self, body):
        if self.state != "Established":
            raise Fatal("%s: an UPDATE in %s" % (self, self.state))
        try:
            withdrawn, attrs, announced = parse_update(body)
        except ValueError as e:
            raise Fatal("%s: a bad UPDATE (%s): %s" % (self, e, body.hex())) from e
        if not withdrawn and not attrs and not announced:
            self.events.append(("eor",))
            return
        self.events.append(("update", withdrawn, attrs, announced))
        for p in withdrawn:
            self.table.pop(p, None)
        for p in announced:
            self.table[p] = attrs


class Run:
    def __init__(self, args):
        host, port = args.rr.rsplit(":", 1)
        self.rr = (host, int(port))
        self.api_base = "http://" + args.api
        self.cluster_id = args.cluster_id
        self.ready = args.ready
        full = [cap(CAP_MP, struct.pack("!HBB", AFI_IPV4, 0, SAFI_UNICAST)), cap(CAP_RR),
                cap(CAP_ERR), cap(CAP_AS4, struct.pack("!I", ASN))]
        no_err = [c for c in full if c[0] != CAP_ERR]
        self.a = Speaker("A", args.a, full)
        self.b = Speaker("B", args.b, full)
        self.c = Speaker("C", args.c, no_err)
        self.d = Speaker("D", args.d, full, early_refresh=True)
        self.speakers = [self.a, self.b, self.c]
        self.fails = 0

    # ---- results ----

    def check(self, ok, passed, failed):
        if ok:
            say("PASS: " + passed)
        else:
            say("FAIL: " + failed)
            self.fails += 1
        return ok

    # ---- the network ----

    def pump(self, timeout):
        """Handles whatever arrives within timeout seconds (at most), and keeps sessions up."""
        now = time.monotonic()
        for s in self.speakers:
            if s.sock and s.state == "Established" and now - s.last_sent >= KEEPALIVE_S:
                s.send(MSG_KEEPALIVE)
        socks = {s.sock: s for s in self.speakers if s.sock}
        if not socks:
            time.sleep(timeout)
            return
        readable, _, _ = select.select(list(socks), [], [], timeout)
        for sock in readable:
            socks[sock].read()
        for s in self.speakers:
            if (s.closed or s.notification) and not s.expect_close:
                raise Fatal("%s: session ended: %s" % (s, self.why_down(s)))

    @staticmethod
    def why_down(s):
        if s.notification:
            code, subcode, data = s.notification
            return "NOTIFICATION %d/%d %s" % (code, subcode, data.hex())
        return s.closed

    def wait(self, cond, timeout):
        """Pumps until cond() is true; False when timeout seconds went by first."""
        end = time.monotonic() + timeout
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.pump(min(left, 0.2))
        return True

    def quiet(self, seconds):
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.pump(min(left, 0.2))

    def api(self, path):
        with urllib.request.urlopen(self.api_base + path, timeout=5) as r:
            return json.loads(r.read().decode())

    def api_wait(self, path, cond, timeout=ANSWER_S):
        """Polls path until cond(JSON) holds; returns the last JSON seen."""
        end = time.monotonic() + timeout
        while True:
            doc = self.api(path)
            if cond(doc) or time.monotonic() >= end:
                return doc
            self.pump(0.1)

    def peer(self, doc, s):
        return next((p for p in doc if p.get("address") == s.addr), {})

    # ---- what a speaker was sent ----

    @staticmethod
    def markers(events):
        return [RR_NAMES.get(e[1], "subtype %d" % e[1]) for e in events if e[0] == "refresh"]

    @staticmethod
    def announced(events):
        return [(p, e[2]) for e in events if e[0] == "update" for p in e[3]]

    @staticmethod
    def withdrawn(events):
        return [p for e in events if e[0] == "update" for p in e[1]]

    def path_problems(self, pairs):
        out = []
        for p, attrs in pairs:
            bad = attrs_problem(attrs, self.a.addr, self.cluster_id)
            if bad:
                out.append("%s: %s" % (p, bad))
        return out

    @staticmethod
    def describe(events):
        out = []
        for e in events:
            if e[0] == "refresh":
                out.append("%s(afi %d, safi %d)" % (RR_NAMES.get(e[1], e[1]), e[2], e[3]))
            elif e[0] == "eor":
                out.append("End-of-RIB")
            else:
                out.append("UPDATE(-%d +%d)" % (len(e[1]), len(e[3])))
        return ", ".join(out) or "nothing"

    # ---- the steps ----

    def step_establish(self):
        for s in self.speakers:
            s.connect(self.rr)
        up = self.wait(lambda: all(s.state == "Established" for s in self.speakers), CONNECT_S)
        if not up:
            raise Fatal("not Established within %d s: %s" % (CONNECT_S, ", ".join(
                "%s %s" % (s, s.state) for s in self.speakers)))
        for s in self.speakers:
            caps = s.peer_caps
            has = (
                struct.pack("!HBB", AFI_IPV4, 0, SAFI_UNICAST) in caps.get(CAP_MP, [])
                and CAP_RR in caps
                and CAP_ERR in caps
                and CAP_AS4 in caps
            )
            self.check(has, "%s: prismd's OPEN offers IPv4 unicast, route refresh, enhanced "
                       "route refresh and 4-octet AS" % s,
                       "%s: prismd's OPEN offers capabilities %s" % (s, sorted(caps)))
        say("A, B and C Established (hold time %d offered by prismd)" % self.a.peer_hold)
        # the first table is empty: End-of-RIB alone
        self.wait(lambda: all(("eor",) in s.events for s in self.speakers), ANSWER_S)
        for s in self.speakers:
            self.check(s.events == [("eor",)], "%s: sent End-of-RIB for the empty table" % s,
                       "%s: first sent %s, not End-of-RIB alone" % (s, self.describe(s.events)))

    def step_announce(self):
        marks = {s: len(s.events) for s in self.speakers}
        self.a.send(MSG_UPDATE, announce_body(PREFIXES))
        self.a.send(MSG_UPDATE, struct.pack("!HH", 0, 0))
        full = set(PREFIXES)
        self.wait(lambda: set(self.b.table) == full and set(self.c.table) == full, ANSWER_S)
        self.quiet(QUIET_S)
        for s in (self.b, self.c):
            ev = s.since(marks[s])
            got = self.announced(ev)
            bad = self.path_problems(got)
            ok = (set(s.table) == full and not self.withdrawn(ev) and not bad
                  and len(got) == N_PREFIXES)
            self.check(ok, "%s: sent A's %d prefixes once each, reflected (ORIGINATOR_ID %s, "
                       "CLUSTER_LIST [%s])" % (s, N_PREFIXES, self.a.addr, self.cluster_id),
                       "%s: after A's announcement holds %d of %d prefixes (%d announcements, "
                       "%d withdrawals, %d extra); %s" % (
                           s, len(full & set(s.table)), N_PREFIXES, len(got),
                           len(self.withdrawn(ev)), len(set(s.table) - full),
                           "; ".join(bad[:3]) or "attributes right"))
        rib = self.api_wait("/api/rib", lambda d: d.get("paths") == N_PREFIXES)
        self.check(rib.get("paths") == N_PREFIXES, "prismd: the RIB holds %d paths" % N_PREFIXES,
                   "prismd: the RIB is %s, not %d paths" % (rib, N_PREFIXES))

    def step_refresh_enhanced(self):
        """B asks (subtype 0); RFC 7313 4: BoRR, the routes, EoRR."""
        b, mark = self.b, len(self.b.events)
        b.send(MSG_REFRESH, refresh_body(RR_NORMAL))
        done = self.wait(lambda: ("refresh", RR_EORR, AFI_IPV4, SAFI_UNICAST) in b.since(mark),
                         ANSWER_S)
        self.quiet(QUIET_S)
        ev = b.since(mark)
        borr = ("refresh", RR_BORR, AFI_IPV4, SAFI_UNICAST)
        eorr = ("refresh", RR_EORR, AFI_IPV4, SAFI_UNICAST)
        framed = done and ev and ev[0] == borr and ev.count(borr) == 1 and ev.count(eorr) == 1
        inside = ev[1 : ev.index(eorr)] if framed else ev
        got = self.announced(inside)
        bad = self.path_problems(got)
        self.check(framed and ev[-1] == eorr,
                   "B: its ROUTE-REFRESH is answered with BoRR, the routes, then EoRR",
                   "B: its ROUTE-REFRESH (enhanced route refresh negotiated) was answered "
                   "with %s, not BoRR ... EoRR (RFC 7313 4)" % self.describe(ev))
        self.check(sorted(p for p, _ in got) == sorted(PREFIXES) and not bad
                   and not self.withdrawn(inside),
                   "B: sent all %d prefixes again%s, attributes unchanged" % (
                       N_PREFIXES, " between BoRR and EoRR" if framed else ""),
                   "B: the refresh re-sent %d announcements for %d of %d prefixes, %d "
                   "withdrawals; %s" % (len(got), len({p for p, _ in got} & set(PREFIXES)),
                                        N_PREFIXES, len(self.withdrawn(inside)),
                                        "; ".join(bad[:3]) or "attributes right"))
        others = [s for s in (self.a, self.c) if self.markers(s.events)]
        self.check(not others, "A and C: sent no BoRR or EoRR for B's refresh",
                   "%s: sent %s for B's refresh" % (
                       ", ".join(map(str, others)),
                       ", ".join(self.markers(others[0].events)) if others else ""))

    def step_purge(self):
        """A refreshes with half its prefixes; RFC 7313 4: the rest go at its EoRR."""
        marks = {s: len(s.events) for s in self.speakers}
        self.a.send(MSG_REFRESH, refresh_body(RR_BORR))
        self.a.send(MSG_UPDATE, announce_body(FIRST_HALF))
        self.a.send(MSG_REFRESH, refresh_body(RR_EORR))
        half = set(FIRST_HALF)
        self.wait(lambda: set(self.b.table) == half and set(self.c.table) == half, ANSWER_S)
        self.quiet(QUIET_S)
        for s in (self.b, self.c):
            ev = s.since(marks[s])
            wd = self.withdrawn(ev)
            re_sent = self.announced(ev)
            bad = self.path_problems(re_sent)
            stray = sorted(p for p, _ in re_sent if p not in half)
            ok = (sorted(wd) == sorted(SECOND_HALF) and set(s.table) == half and not bad
                  and not stray and not self.markers(ev))
            self.check(ok, "%s: after A's BoRR, %d prefixes and EoRR, sent exactly the "
                       "withdrawals of the %d A left out; holds the other %d" % (
                           s, len(FIRST_HALF), len(SECOND_HALF), len(FIRST_HALF)),
                       "%s: after A's enhanced refresh was sent %s: withdrawn %s (want %s), "
                       "holds %d prefixes (want %d)%s" % (
                           s, self.describe(ev), sorted(wd) or "none",
                           "%s..%s" % (SECOND_HALF[0], SECOND_HALF[-1]), len(s.table),
                           len(half), "; " + "; ".join(bad[:3] + stray[:3])
                           if bad or stray else ""))
        # prismd's own view
        peers = self.api_wait("/api/peers",
                              lambda d: self.peer(d, self.a).get("routes") == len(half))
        a = self.peer(peers, self.a)
        self.check(a.get("routes") == len(half),
                   "prismd: /api/peers counts %d routes for A" % len(half),
                   "prismd: /api/peers shows A as %s" % a)
        gone = [p for p in SECOND_HALF if self.api("/api/rib?prefix=" + p).get("paths")]
        kept = []
        for p in FIRST_HALF:
            paths = self.api("/api/rib?prefix=" + p).get("paths", [])
            if len(paths) != 1 or paths[0].get("peer_id") != self.a.addr:
                kept.append("%s: %s" % (p, paths))
        self.check(not gone and not kept,
                   "prismd: /api/rib has A's path for each prefix it refreshed, none for the "
                   "others",
                   "prismd: /api/rib still has %s; wrong for %s" % (gone or "none",
                                                                   kept[:3] or "none"))

    def step_refresh_plain(self):
        """C asks without enhanced route refresh: the routes again, no BoRR or EoRR."""
        c, mark = self.c, len(self.c.events)
        b_mark = len(self.b.events)
        c.send(MSG_REFRESH, refresh_body(RR_NORMAL))
        half = set(FIRST_HALF)
        self.wait(lambda: {p for p, _ in self.announced(c.since(mark))} >= half, ANSWER_S)
        self.quiet(QUIET_S)
        ev = c.since(mark)
        problems, replayed = self.replay_problems(ev, half)
        # RFC 2918 4: the Adj-RIB-Out again, as it is now: a dump taken before A's refresh
        # would announce the withdrawn half again, until the stream withdrew it
        if replayed:
            problems.append("%d prefixes prismd no longer holds were announced again (%s "
                            "...)" % (len(replayed), replayed[0]))
        self.check(not problems,
                   "C: its ROUTE-REFRESH re-sent exactly the %d prefixes prismd holds" %
                   len(half),
                   "C: its ROUTE-REFRESH got %s: %s" % (self.describe(ev), "; ".join(problems)))
        self.check(not self.markers(c.events),
                   "C: never sent BoRR or EoRR (it did not offer enhanced route refresh)",
                   "C: sent %s, though it did not offer enhanced route refresh (RFC 7313 4)" %
                   ", ".join(self.markers(c.events)))
        self.check(set(c.table) == half, "C: holds the %d prefixes" % len(half),
                   "C: holds %d prefixes, not %d" % (len(c.table), len(half)))
        self.check(not self.b.since(b_mark), "B: sent nothing for C's refresh",
                   "B: sent %s for C's refresh" % self.describe(self.b.since(b_mark)))
        self.check(not self.markers(self.a.events), "A: never sent BoRR or EoRR (it asked for "
                   "no refresh)", "A: sent %s" % ", ".join(self.markers(self.a.events)))

    def replay_problems(self, events, want):
        """What is wrong with a refresh answer, for a peer that held want before it, and the
        prefixes it announced that are not in want (each must be withdrawn after)."""
        table = {}
        problems = []
        for e in events:
            if e[0] != "update":
                continue
            for p in e[1]:
                if p in want:
                    problems.append("%s withdrawn" % p)
                table.pop(p, None)
            for p in e[3]:
                table[p] = e[2]
        missing = sorted(want - {p for p, _ in self.announced(events)})
        if missing:
            problems.append("%d prefixes not sent again (%s ...)" % (len(missing), missing[0]))
        left = sorted(set(table) - want)
        if left:
            problems.append("%d prefixes announced and never withdrawn (%s ...)" %
                            (len(left), left[0]))
        problems += self.path_problems(self.announced(events))[:3]
        replayed = sorted({p for p, _ in self.announced(events)} - want)
        return problems, replayed

    def step_refresh_joining(self):
        """D asks for an enhanced refresh in the same segment as its first KEEPALIVE, while
        prismd is still serving its first table: RFC 7313 4 still holds."""
        d = self.d
        self.speakers.append(d)
        d.connect(self.rr)
        if not self.wait(lambda: d.state == "Established", CONNECT_S):
            raise Fatal("%s: not Established within %d s (%s)" % (d, CONNECT_S, d.state))
        eorr = ("refresh", RR_EORR, AFI_IPV4, SAFI_UNICAST)
        self.wait(lambda: eorr in d.events, ANSWER_S)
        self.quiet(QUIET_S)
        ev = d.since(0)
        half = set(FIRST_HALF)
        borr = ("refresh", RR_BORR, AFI_IPV4, SAFI_UNICAST)
        framed = borr in ev and eorr in ev and ev.index(borr) < ev.index(eorr)
        inside = ev[ev.index(borr) + 1 : ev.index(eorr)] if framed else []
        sent = {p for p, _ in self.announced(inside)}
        stale = sorted(sent - half)
        after = self.withdrawn(ev[ev.index(eorr) + 1 :]) if framed else []
        ok = (framed and sent == half and not self.withdrawn(inside)
              and not self.path_problems(self.announced(inside)))
        self.check(ok, "D: a ROUTE-REFRESH sent with its first KEEPALIVE is answered with "
                   "BoRR, exactly the %d prefixes prismd holds, EoRR" % len(half),
                   "D: a ROUTE-REFRESH sent with its first KEEPALIVE was answered with %s; "
                   "between BoRR and EoRR %d prefixes, %d of them not in prismd's RIB "
                   "(%s), withdrawn only after the EoRR: %d (RFC 7313 4: the routes between "
                   "BoRR and EoRR are the whole Adj-RIB-Out)" % (
                       self.describe(ev), len(sent), len(stale),
                       "%s .. %s" % (stale[0], stale[-1]) if stale else "none", len(after)))
        self.check(set(d.table) == half, "D: holds the %d prefixes" % len(half),
                   "D: holds %d prefixes, not %d" % (len(d.table), len(half)))

    def step_sessions(self):
        peers = self.api("/api/peers")
        for s in self.speakers:
            p = self.peer(peers, s)
            ok = (p.get("state") == "Established" and p.get("established") == 1
                  and p.get("dropped") == 0 and p.get("peer_id") == s.addr)
            self.check(ok, "%s: one session all along (/api/peers)" % s,
                       "%s: /api/peers shows %s" % (s, p))

    def step_stop(self):
        """The script stops prismd: each speaker gets a Cease, then the connection closes."""
        for s in self.speakers:
            s.expect_close = True
        with open(self.ready, "w", encoding="utf-8") as f:
            f.write("ready\n")
        say("checks done; waiting for prismd to stop")
        self.wait(lambda: all(s.closed for s in self.speakers), STOP_S)
        for s in self.speakers:
            n = s.notification
            self.check(n is not None and n[:2] == (CEASE, CEASE_ADMIN_SHUTDOWN) and s.closed,
                       "%s: sent a Cease (administrative shutdown) as prismd stopped" % s,
                       "%s: as prismd stopped: %s" % (s, self.why_down(s) if s.closed
                                                      else "still connected"))

    def run(self):
        steps = [self.step_establish, self.step_announce, self.step_refresh_enhanced,
                 self.step_purge, self.step_refresh_plain,
                 self.step_refresh_joining, self.step_sessions, self.step_stop]
        try:
            for step in steps:
                step()
        except Fatal as e:
            say("FAIL: %s" % e)
            return 1
        except OSError as e:
            say("FAIL: prismd's API: %s" % e)
            return 1
        finally:
            for s in self.speakers:
                s.close()
        return 1 if self.fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--rr", required=True, help="prismd's BGP address, ADDR:PORT")
    ap.add_argument("--api", required=True, help="prismd's HTTP API, ADDR:PORT")
    ap.add_argument("--cluster-id", required=True, help="prismd's cluster ID")
    ap.add_argument("--ready", required=True, help="written once prismd may be stopped")
    ap.add_argument("a", help="A's address and router ID")
    ap.add_argument("b", help="B's address and router ID")
    ap.add_argument("c", help="C's address and router ID")
    ap.add_argument("d", help="D's address and router ID")
    return Run(ap.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
