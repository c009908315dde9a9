#!/usr/bin/env python3
"""Connections against prismd's accept rules (tests/accept.sh).

Usage: probe.py HOST PORT

prismd is configured by accept.sh with a range 127.0.19.0/29 of at most 3 peers, a
static passive peer 127.0.19.200, and nothing else. Each step opens a TCP connection
from a source address of its own, sends an OPEN, and looks at what comes back: an OPEN
(accepted) or the connection closed with nothing sent (refused at accept). Then, from a
second range (127.0.19.64/26), sessions that break the protocol must get the RFC 4271
NOTIFICATION for it, the hold timer included. Every wait is bounded. Exits 0 when every step saw what it should, 1 otherwise, with the reason.
"""
import socket
import struct
import sys
import time

ASN = 64512
WAIT_S = 5.0


def bgp_msg(kind, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body


def open_msg(router_id, hold=30, version=4):
    caps = bytes([1, 4, 0, 1, 0, 1])  # multiprotocol IPv4 unicast
    caps += bytes([65, 4]) + struct.pack("!I", ASN)  # 4-octet AS
    opt = bytes([2, len(caps)]) + caps
    body = struct.pack("!BHH", version, ASN, hold) + socket.inet_aton(router_id)
    return bgp_msg(1, body + bytes([len(opt)]) + opt)


def read_msg(sock, deadline):
    """One BGP message as (type, body), or None when the peer closed the connection."""
    buf = b""
    need = 19
    while len(buf) < need:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete message within %.0f s" % WAIT_S)
        sock.settimeout(left)
        try:
            chunk = sock.recv(need - len(buf))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        buf += chunk
        if len(buf) == 19:
            length = struct.unpack("!H", buf[16:18])[0]
            if buf[:16] != b"\xff" * 16 or not 19 <= length <= 4096:
                raise ValueError("bad header %s" % buf.hex())
            need = length
    return buf[18], buf[19:]


def attempt(src, host, port):
    """'accepted' (prismd sent its OPEN), 'refused' (closed with nothing sent), and the
    socket, kept open when accepted."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((src, 0))
    sock.settimeout(WAIT_S)
    sock.connect((host, port))
    try:
        sock.sendall(open_msg(src))
    except (BrokenPipeError, ConnectionResetError):
        sock.close()
        return "refused", None
    deadline = time.monotonic() + WAIT_S
    while True:
        msg = read_msg(sock, deadline)
        if msg is None:
            sock.close()
            return "refused", None
        if msg[0] == 1:
            return "accepted", sock
        if msg[0] == 3:  # a NOTIFICATION is not a refusal at accept
            sock.close()
            return "notification %d/%d" % (msg[1][0], msg[1][1]), None


def connect(src, host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((src, 0))
    sock.settimeout(WAIT_S)
    sock.connect((host, port))
    return sock


def until_notification(sock, wait_s):
    """The (code, subcode) of the NOTIFICATION prismd sends within wait_s, skipping its
    OPEN and KEEPALIVEs, and the seconds it took; None when it closed without one."""
    t0 = time.monotonic()
    deadline = t0 + wait_s
    while True:
        msg = read_msg(sock, deadline)
        if msg is None:
            return None, time.monotonic() - t0
        if msg[0] == 3:
            return (msg[1][0], msg[1][1]), time.monotonic() - t0


def fsm_checks(host, port, failures):
    """Errors in the session get the RFC 4271 NOTIFICATION: sources in 127.0.19.64/26."""

    def check(what, got, want):
        ok = got == want
        print("probe: %s %s: NOTIFICATION %s" % ("ok  " if ok else "FAIL", what, got))
        if not ok:
            failures.append("%s: NOTIFICATION %s, expected %s" % (what, got, want))

    # 6.2: a version we do not speak: 2/1, Unsupported Version Number
    sock = connect("127.0.19.65", host, port)
    sock.sendall(open_msg("127.0.19.65", version=3))
    check("OPEN version 3", until_notification(sock, WAIT_S)[0], (2, 1))
    sock.close()
    # 6.2: a hold time of 1 or 2 s: 2/6, Unacceptable Hold Time
    sock = connect("127.0.19.66", host, port)
    sock.sendall(open_msg("127.0.19.66", hold=2))
    check("OPEN hold time 2", until_notification(sock, WAIT_S)[0], (2, 6))
    sock.close()
    # 4.2, 6.5: we offer 3 s, prismd 90: the session holds 3 s; then nothing more from
    # us, and prismd ends it with 4/0, Hold Timer Expired, after those 3 s
    sock = connect("127.0.19.67", host, port)
    sock.sendall(open_msg("127.0.19.67", hold=3) + bgp_msg(4))
    note, took = until_notification(sock, 3 + WAIT_S)
    check("silent after a 3 s hold time", note, (4, 0))
    if note == (4, 0) and not 2.5 <= took <= 4.5:
        failures.append("hold timer: expired after %.1f s, expected 3" % took)
    print("probe: hold timer expired after %.1f s" % took)
    sock.close()
    # 4.1, 6.1: a message with a broken marker: 1/1, Connection Not Synchronized
    sock = connect("127.0.19.68", host, port)
    sock.sendall(open_msg("127.0.19.68") + b"\x00" * 16 + struct.pack("!HB", 19, 4))
    check("a broken marker", until_notification(sock, WAIT_S)[0], (1, 1))
    sock.close()
    # 6.1: a message type that does not exist: 1/3, Bad Message Type
    sock = connect("127.0.19.69", host, port)
    sock.sendall(open_msg("127.0.19.69") + bgp_msg(4) + bgp_msg(9))
    check("message type 9", until_notification(sock, WAIT_S)[0], (1, 3))
    sock.close()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    failures = []
    held = {}

    def expect(src, want, why):
        got, sock = attempt(src, host, port)
        ok = got == want
        print("probe: %s %s: %s (%s)" % ("ok  " if ok else "FAIL", src, got, why))
        if not ok:
            failures.append("%s: %s, expected %s" % (src, got, want))
        if sock:
            held[src] = sock

    for src in ("127.0.19.2", "127.0.19.3", "127.0.19.4"):
        expect(src, "accepted", "in the range, under max-peers")
    expect("127.0.19.5", "refused", "in the range, which is at its max-peers of 3")
    expect("127.0.19.50", "refused", "matches no peer and no range")
    expect("127.0.19.200", "accepted", "the static peer")

    # One of the three goes: its place in the range is free again.
    sock = held.pop("127.0.19.2")
    sock.sendall(bgp_msg(3, bytes([6, 2])))  # Cease, administrative shutdown
    sock.close()
    deadline = time.monotonic() + WAIT_S
    got = None
    while time.monotonic() < deadline:
        got, sock = attempt("127.0.19.5", host, port)
        if got == "accepted":
            held["127.0.19.5"] = sock
            break
        time.sleep(0.2)
    ok = got == "accepted"
    print("probe: %s 127.0.19.5: %s (a place was freed)" % ("ok  " if ok else "FAIL", got))
    if not ok:
        failures.append("127.0.19.5: %s after 127.0.19.2 left, expected accepted" % got)
    expect("127.0.19.6", "refused", "the range is full again")

    for sock in held.values():
        sock.close()
    fsm_checks(host, port, failures)
    if failures:
        print("probe: FAIL: " + "; ".join(failures))
        return 1
    print("probe: every connection went as it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
