#!/usr/bin/env python3
"""bench/run.py — interpreter speed, reported as ratios measured in one run.

For each workload it times, median of --runs (default 5):
  native        the binary on the host (static C) or in a chroot of the guest root (python3)
  qemu          qemu-x86_64 on the same binary (-L ROOT for the dynamic python3)
  engine        build/glassbox run (native build of the engine)
  engine-node   node build-wasm/glassbox.js run (the wasm build in V8)
and prints engine/native and engine/qemu ratios plus guest MIPS (guest instructions
retired, from the engine's --stats line, divided by the engine's wall time).

Usage: bench/run.py [--runs N] [--root ROOT] [--only NAME ...] [--no-node]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_root():
    try:
        out = subprocess.run([os.path.join(TOP, "tools/mkimage/mkimage"), "plan",
                              os.path.join(TOP, "images/default"), "--print-root"], capture_output=True, text=True)
        p = out.stdout.strip()
        if p and os.path.isdir(p):
            return p
    except OSError:
        pass
    return "/"


# No run may write into the image cache's rootfs (python would add __pycache__ files).
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def timed(cmd, stdin=subprocess.DEVNULL):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=stdin, capture_output=True, env=ENV)
    dt = time.perf_counter() - t0
    return dt, p


def stats_icount(stderr):
    m = re.search(rb"stats: (\d+) instructions", stderr)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--root", default=None)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-node", action="store_true")
    args = ap.parse_args()
    root = args.root or default_root()

    tmp = tempfile.mkdtemp(prefix="gb-bench-")
    exe = os.path.join(tmp, "cpu_bound")
    subprocess.run(["gcc", "-O2", "-static", "-o", exe, os.path.join(TOP, "bench/cpu_bound.c")], check=True)

    engine = [os.path.join(TOP, "build/glassbox"), "run", "--stats", "--env", "PYTHONDONTWRITEBYTECODE=1"]
    node_engine = ["node", "--no-experimental-fetch", os.path.join(TOP, "build-wasm/glassbox.js"), "run", "--stats",
                   "--env", "PYTHONDONTWRITEBYTECODE=1"]
    have_node = not args.no_node and os.path.exists(os.path.join(TOP, "build-wasm/glassbox.js"))
    qemu = shutil.which("qemu-x86_64")

    # (name, native cmd, qemu cmd, guest root for the engine, guest argv)
    workloads = [
        ("cpu_bound 4 (static C, -O2)", [exe, "4"], [qemu, exe, "4"] if qemu else None, "/", [exe, "4"]),
        ("python3 sum(range(10**6))",
         ["chroot", root, "/usr/bin/python3", "-c", "sum(range(10**6))"],
         [qemu, "-L", root, os.path.join(root, "usr/bin/python3"), "-c", "sum(range(10**6))"] if qemu else None,
         root, ["/usr/bin/python3", "-c", "sum(range(10**6))"]),
    ]

    rows = []
    for name, native_cmd, qemu_cmd, groot, gargv in workloads:
        if args.only and not any(o in name for o in args.only):
            continue
        res = {}
        icount = None
        variants = [("native", native_cmd), ("qemu", qemu_cmd),
                    ("engine", engine + ["--root", groot, "--"] + gargv)]
        if have_node:
            variants.append(("engine-node", node_engine + ["--root", groot, "--"] + gargv))
        outputs = {}
        for vname, cmd in variants:
            if cmd is None:
                continue
            times = []
            for _ in range(args.runs):
                dt, p = timed(cmd)
                if p.returncode != 0:
                    print(f"  {name} / {vname}: exit {p.returncode}: {p.stderr[-300:].decode(errors='replace')}",
                          file=sys.stderr)
                    times = []
                    break
                times.append(dt)
                outputs[vname] = p.stdout
                if vname.startswith("engine"):
                    icount = stats_icount(p.stderr) or icount
            if times:
                res[vname] = statistics.median(times)
        same = len(set(outputs.values())) <= 1
        rows.append((name, res, icount, same))

    print(f"\nbenchmark: median of {args.runs} runs, guest root {root}\n")
    print(f"{'workload':32} {'native':>9} {'qemu':>9} {'engine':>9} {'eng-node':>9}"
          f" {'eng/nat':>8} {'eng/qemu':>8} {'node/nat':>9} {'MIPS':>7} {'MIPS-node':>9}  same-output")
    for name, res, icount, same in rows:
        def t(k):
            return f"{res[k]:9.3f}" if k in res else f"{'-':>9}"

        def ratio(a, b):
            return f"{res[a] / res[b]:8.1f}x" if a in res and b in res else f"{'-':>9}"
        mips = f"{icount / res['engine'] / 1e6:7.0f}" if icount and "engine" in res else f"{'-':>7}"
        mipsn = f"{icount / res['engine-node'] / 1e6:9.0f}" if icount and "engine-node" in res else f"{'-':>9}"
        print(f"{name:32} {t('native')} {t('qemu')} {t('engine')} {t('engine-node')}"
              f" {ratio('engine', 'native')}{ratio('engine', 'qemu')}{ratio('engine-node', 'native')} {mips} {mipsn}"
              f"  {'yes' if same else 'NO'}")
    if icount:
        print(f"\n(guest instructions of the last workload: {icount:,})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
