"""`python -m minikafka.serve --brokers 3 [--controllers N] [--seed S] [--topic NAME:PARTITIONS:RF ...]`:
a simulated cluster on loopback for real clients, with a console for faults.

Console commands (one per line): `crash N`, `restart N`, `stop N` (controlled shutdown),
`cut A B`, `heal [A B]`, `state TOPIC [PARTITION]`, `topics`, `create TOPIC [PARTITIONS [RF]]`,
`quit`. Brokers are 1..N; `cut` and `heal` take node names or broker ids.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from minikafka import Cluster


def command(c: Cluster, line: str) -> str:
    """One console line; returns what to print (or raises SystemExit for quit)."""
    words = line.split()
    if not words:
        return ""
    op, args = words[0], words[1:]

    def node(x: str) -> Any:
        return int(x) if x.isdigit() else x
    try:
        if op in ("quit", "exit"):
            raise SystemExit(0)
        if op == "crash" and len(args) == 1:
            c.crash_broker(int(args[0]))
        elif op == "restart" and len(args) == 1:
            c.restart_broker(int(args[0]))
        elif op == "stop" and len(args) == 1:
            c.stop_broker(int(args[0]))
        elif op == "cut" and len(args) == 2:
            c.cut(node(args[0]), node(args[1]))
        elif op == "heal" and len(args) == 2:
            c.heal(node(args[0]), node(args[1]))
        elif op == "heal" and not args:
            c.heal_all()
        elif op == "state" and len(args) in (1, 2):
            return str(c.partition_state(args[0], int(args[1]) if len(args) == 2 else 0))
        elif op == "topics" and not args:
            return " ".join(c.topics()) or "(no topics)"
        elif op == "create" and 1 <= len(args) <= 3:
            c.create_topic(args[0], *map(int, args[1:]))
        else:
            return f"unknown command {line.strip()!r}; commands: " + __doc__.split("Console commands")[1].split(".")[0]
    except SystemExit:
        raise
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "ok"


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin) -> None:
    ap = argparse.ArgumentParser(prog="python -m minikafka.serve", description=__doc__.splitlines()[0])
    ap.add_argument("--brokers", type=int, default=3)
    ap.add_argument("--controllers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--topic", action="append", default=[], metavar="NAME:PARTITIONS:RF",
                    help="create a topic before serving (repeatable)")
    args = ap.parse_args(argv)
    c = Cluster(brokers=args.brokers, controllers=args.controllers, seed=args.seed, trace_limit=100_000)
    for spec in args.topic:
        name, *sizes = spec.split(":")
        c.create_topic(name, *map(int, sizes))
    srv = c.serve()
    print(f"bootstrap.servers={srv.bootstrap_servers}", flush=True)
    print("real time from now on; type a command (crash N, restart N, cut A B, heal, state T, quit)", flush=True)
    try:
        for line in stdin:
            out = command(c, line)
            if out:
                print(out, flush=True)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
