#!/usr/bin/env python3
"""bench/ide_warm.py — the IDE's commands run again and again in one machine (headless Chromium).

A student in a lab runs the same few commands many times in one IDE tab: that is where
issue 11's IDE target is set ("warm": `gcc hello.c -o hello && ./hello` <= 1.0 s). This
runs each command --runs times in a row in the two machines of the site's bench page
(web/examples/bench.html through bench/browser.mjs: the JIT off and on, each booted
once), timed by the machine itself (RunResult.ms), and prints every run and the median
of the runs after the first (the first is the cold one: the image's chunks, V8 compiling
the engine's JIT). The second and later processes of a program start with the code the
earlier ones decoded and compiled (vm/linux/code_pool.h), so the runs get faster as the
machine learns the program; bench/run.py's median of 5 interleaves its workloads and
counts the first run.

  python3 bench/ide_warm.py [--runs N] [--only TEXT ...]     (default 8 runs, every command)
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (bench/run.py: the Browser driver)

COMMANDS = [
    ("gcc hello.c -o hello && ./hello", ["/bin/sh", "-c", "cd /tmp && gcc /home/student/examples/hello.c -o hello && ./hello"]),
    ("python3 -c pass", ["/usr/bin/python3", "-c", "pass"]),
    ("python3 sum(range(10**6))", ["/usr/bin/python3", "-c", "sum(range(10**6))"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--only", nargs="*", default=[])
    args = ap.parse_args()
    if args.runs < 2:
        ap.error("--runs wants at least 2 (the first run is the cold one)")
    browser = bench.Browser()
    rows = []
    try:
        for name, argv in COMMANDS:
            if args.only and not any(o in name for o in args.only):
                continue
            for jit in ("off", "on"):
                ms = []
                for _ in range(args.runs):
                    t, p = browser.run(jit, argv, [])
                    if p.returncode != 0:
                        print(f"{name} (jit {jit}): exit {p.returncode}: {p.stderr[-300:].decode(errors='replace')}",
                              file=sys.stderr)
                        sys.exit(1)
                    ms.append(t * 1000)
                warm = statistics.median(ms[1:])
                rows.append((name, jit, ms, warm))
                print(f"{name:34} jit {jit:3}: " + " ".join(f"{m:6.0f}" for m in ms) + f"   warm median {warm:6.0f} ms",
                      flush=True)
    finally:
        browser.close()
    print(f"\nheadless Chromium, {args.runs} runs in a row per machine (ms); warm = median of runs 2..{args.runs}\n")
    print(f"{'command':34} {'first off':>10} {'warm off':>9} {'first on':>9} {'warm on':>8}")
    by = {(n, j): (ms, w) for n, j, ms, w in rows}
    for name, _ in COMMANDS:
        if (name, "off") in by and (name, "on") in by:
            (m0, w0), (m1, w1) = by[(name, "off")], by[(name, "on")]
            print(f"{name:34} {m0[0]:10.0f} {w0:9.0f} {m1[0]:9.0f} {w1:8.0f}")


if __name__ == "__main__":
    main()
