#!/usr/bin/env python3
"""An ExaBGP API process for tests/graceful-restart.sh: reads ExaBGP's JSON messages on stdin
and appends one line per route event to the file named on the command line:

    A <prefix>     announced (or announced again)
    W <prefix>     withdrawn
    EOR <family>   End-of-RIB

Each line is flushed at once, so the test can read the file while ExaBGP runs."""
import json
import sys


def events(msg):
    upd = msg.get("neighbor", {}).get("message", {})
    if "eor" in upd:
        eor = upd["eor"]
        yield "EOR %s/%s" % (eor.get("afi", "?"), eor.get("safi", "?"))
        return
    upd = upd.get("update", {})
    for fam, by_nh in upd.get("announce", {}).items():
        for routes in by_nh.values():
            for r in routes:
                yield "A " + r["nlri"]
    for fam, routes in upd.get("withdraw", {}).items():
        for r in routes:
            yield "W " + r["nlri"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: exa_events.py OUTPUT")
    with open(sys.argv[1], "a", encoding="utf-8") as out:
        for line in sys.stdin:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("type") not in ("update", "eor"):
                continue
            for e in events(msg):
                out.write(e + "\n")
            out.flush()


if __name__ == "__main__":
    main()
