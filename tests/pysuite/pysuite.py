#!/usr/bin/env python3
"""tests/pysuite/pysuite.py — Python's own regression tests inside the engine vs natively.

Run it through tests/pysuite/run.sh (as root; see there for the options). For each module
(test_int, test_os, ...) it runs Python's regrtest driver for that one module, one python3
process per module (`-u none`, no -j), through tests/pysuite/regr_wrapper.py, twice:

  native  in a chroot of the testsuite image's rootfs (tools/mkimage --layer testsuite),
          through tests/lib/chroot-overlay.sh: overlayfs over the cached rootfs with a
          throw-away upper layer, /tmp a tmpfs, a private mount namespace, so nothing
          is ever written into ~/.cache/glassbox;
  engine  build/glassbox run --image IMAGE/manifest.json --overlay TMP/MODULE.overlay
          (a fresh overlay file per module in a temp dir: the base image is never written).

Counts (tests run, failures, errors, skipped) come from regrtest's --junit-xml report,
which the wrapper prints to stdout. A module passes when the engine's counts equal the
native ones, or when it is listed in tests/pysuite/known.txt ("module: cause"). The table
goes to stdout and to a markdown file (default build/pysuite.md); per-module stdout/stderr
and the per-test differences go to the log dir (default build/pysuite-logs). The last line
is "pysuite: N passed, N failed".
"""
import argparse
import concurrent.futures
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MKIMAGE = os.path.join(TOP, "tools/mkimage/mkimage")
RECIPE = os.path.join(TOP, "images/default")
CHROOT = os.path.join(TOP, "tests/lib/chroot-overlay.sh")

DEFAULT_MODULES = (
    "test_int test_long test_list test_dict test_float test_math test_struct test_bytes "
    "test_string test_unicode test_re test_json test_os test_subprocess test_signal "
    "test_threading test_select test_socket test_tempfile test_shutil").split()

GUEST_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
             "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1"}

BEGIN, END = "@@GB-JUNIT-BEGIN@@", "@@GB-JUNIT-END@@"


def log(*a):
    print(*a, flush=True)


def print_root():
    p = subprocess.run([MKIMAGE, "plan", RECIPE, "--layer", "testsuite", "--print-root"],
                       capture_output=True, text=True)
    root = p.stdout.strip()
    return root if root and os.path.isdir(root) else None


def ensure_image(image_dir, build):
    """The testsuite image (manifest + chunks) and its cached rootfs. Builds it with mkimage
    if missing or stale and build is allowed (the cached stages make that take seconds)."""
    root = print_root()
    man = os.path.join(image_dir, "manifest.json")
    fresh = False
    if root and os.path.exists(man):
        with open(man) as f:
            m = json.load(f)
        key = os.path.basename(os.path.dirname(root))
        fresh = m.get("recipe", {}).get("rootfs_key") == key
    if not fresh:
        if not build:
            return None, None
        log(f"pysuite: building the testsuite image into {image_dir} (mkimage --layer testsuite)")
        t0 = time.time()
        p = subprocess.run([MKIMAGE, "build", RECIPE, "--layer", "testsuite", "--out", image_dir])
        if p.returncode != 0:
            return None, None
        log(f"pysuite: image built in {time.time() - t0:.1f} s")
        root = print_root()
    return image_dir, root


def run_cmd(cmd, timeout, out_path, err_path, env=None):
    """Runs cmd in its own process group; on timeout the whole group gets SIGTERM, then
    SIGKILL. Returns (status, seconds, timed_out)."""
    t0 = time.time()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True, env=env)
        timed_out = False
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            rc = p.returncode
    return rc, time.time() - t0, timed_out


def parse(out_path):
    """Counts and per-test statuses from the junit XML between the markers."""
    with open(out_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    res = {"tests": None, "failures": None, "errors": None, "skipped": None, "cases": {},
           "result": None}
    for line in text.splitlines():
        if line.startswith("Tests result: "):
            res["result"] = line[len("Tests result: "):].strip()
    b = text.rfind(BEGIN)
    e = text.rfind(END)
    if b < 0 or e < b:
        return res
    xml = text[b + len(BEGIN):e].strip()
    if not xml:
        return res
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return res
    n = f = er = sk = 0
    for tc in root.iter("testcase"):
        n += 1
        st = "ok"
        if tc.find("failure") is not None:
            st = "failure"; f += 1
        elif tc.find("error") is not None:
            st = "error"; er += 1
        elif tc.find("skipped") is not None:
            st = "skipped"; sk += 1
        res["cases"][tc.get("name", f"#{n}")] = st
    res.update(tests=n, failures=f, errors=er, skipped=sk)
    return res


def counts(r):
    if r is None or r.get("tests") is None:
        return None
    return (r["tests"], r["failures"], r["errors"], r["skipped"])


def fmt_counts(r):
    c = counts(r)
    if r is None:
        return "-"
    if r.get("timed_out"):
        return f"timeout {r['seconds']:.0f}s"
    if c is None:
        return f"no result (exit {r.get('status')})"
    return "%d / %d / %d / %d" % c


def load_known(path):
    known = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#") or ":" not in line:
                    continue
                mod, cause = line.split(":", 1)
                known[mod.strip()] = cause.strip()
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help=f"test modules (default: {' '.join(DEFAULT_MODULES)})")
    ap.add_argument("--image", default=os.environ.get("GLASSBOX_PYSUITE_IMAGE", os.path.join(TOP, "build/image-test")),
                    help="testsuite image directory (built with mkimage --layer testsuite if missing)")
    ap.add_argument("--no-build", action="store_true", help="never build the image")
    ap.add_argument("--engine", default=os.path.join(TOP, "build/glassbox") + " run",
                    help="engine command up to its options, e.g. 'node build-wasm/glassbox.js run'")
    ap.add_argument("--node", action="store_true", help="shorthand for the wasm engine in node")
    ap.add_argument("--native-only", action="store_true", help="only the native side (checks the harness)")
    ap.add_argument("--engine-only", action="store_true",
                    help="only the engine side; native counts from --native-json (a previous run)")
    ap.add_argument("--native-json", default=os.path.join(TOP, "build/pysuite-native.json"),
                    help="native results are saved here, and read from here with --engine-only")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="engine modules run in parallel (default 1)")
    ap.add_argument("--native-timeout", type=float, default=900, help="seconds per module natively")
    ap.add_argument("--timeout-factor", type=float, default=100,
                    help="engine timeout = factor x native seconds, clamped to [--min-timeout, --max-timeout]")
    ap.add_argument("--min-timeout", type=float, default=600)
    ap.add_argument("--max-timeout", type=float, default=3600)
    ap.add_argument("--known", default=os.path.join(HERE, "known.txt"))
    ap.add_argument("--md", default=os.path.join(TOP, "build/pysuite.md"), help="markdown table output")
    ap.add_argument("--logs", default=os.path.join(TOP, "build/pysuite-logs"))
    ap.add_argument("--regrtest-args", default="", help="extra regrtest options, e.g. '-v'")
    args = ap.parse_args()
    modules = args.modules or DEFAULT_MODULES
    if args.node:
        args.engine = f"node {os.path.join(TOP, 'build-wasm/glassbox.js')} run"
    engine_prefix = shlex.split(args.engine)
    extra = shlex.split(args.regrtest_args)

    if os.geteuid() != 0 and not args.engine_only:
        log("pysuite: the native side needs root (chroot, mount namespace)")
        log("pysuite: 0 passed, 1 failed")
        return 1
    image_dir, root = ensure_image(os.path.abspath(args.image), not args.no_build)
    if not image_dir or not root:
        log("pysuite: no testsuite image (tools/mkimage/mkimage build images/default --layer testsuite --out build/image-test)")
        log("pysuite: 0 passed, 1 failed")
        return 1
    with open(os.path.join(image_dir, "manifest.json")) as f:
        image_id = json.load(f)["image_id"]
    with open(os.path.join(HERE, "regr_wrapper.py")) as f:
        wrapper = f.read()
    os.makedirs(args.logs, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="gb-pysuite-")
    known = load_known(args.known)
    log(f"pysuite: image {image_dir} ({image_id[:19]}), rootfs {root}")
    log(f"pysuite: logs in {args.logs}")

    native = {}
    if args.engine_only:
        if os.path.exists(args.native_json):
            with open(args.native_json) as f:
                saved = json.load(f)
            if saved.get("image_id") == image_id and saved.get("regrtest_args") == args.regrtest_args:
                native = saved["modules"]
        missing = [m for m in modules if m not in native]
        if missing:
            log(f"pysuite: no saved native result for {' '.join(missing)} (run without --engine-only first)")
    else:
        penv = dict(os.environ, TMPDIR=tmp)
        for mod in modules:
            genv = [f"{k}={v}" for k, v in GUEST_ENV.items()]
            cmd = [CHROOT, root, "--", "/usr/bin/env", "-i"] + genv + \
                  ["/usr/bin/python3", "-c", wrapper, mod] + extra
            out, err = os.path.join(args.logs, f"{mod}.native.out"), os.path.join(args.logs, f"{mod}.native.err")
            rc, secs, to = run_cmd(cmd, args.native_timeout, out, err, env=penv)
            r = parse(out)
            r.update(status=rc, seconds=secs, timed_out=to)
            native[mod] = r
            log(f"native {mod:16} {fmt_counts(r):>22}  {secs:7.1f}s  {r.get('result') or ''}")
        saved = {"image_id": image_id, "regrtest_args": args.regrtest_args, "modules": native}
        if os.path.exists(args.native_json):
            try:
                with open(args.native_json) as f:
                    old = json.load(f)
                if old.get("image_id") == image_id and old.get("regrtest_args") == args.regrtest_args:
                    old["modules"].update(native)
                    saved = old
            except (OSError, ValueError):
                pass
        os.makedirs(os.path.dirname(os.path.abspath(args.native_json)), exist_ok=True)
        with open(args.native_json, "w") as f:
            json.dump(saved, f, indent=1, sort_keys=True)

    engine = {}
    lock = threading.Lock()

    def run_engine(mod):
        nr = native.get(mod)
        base = nr["seconds"] if nr and not nr.get("timed_out") else args.max_timeout
        limit = min(max(args.timeout_factor * base, args.min_timeout), args.max_timeout)
        ov = os.path.join(tmp, f"{mod}.overlay")
        cmd = engine_prefix + ["--image", os.path.join(image_dir, "manifest.json"), "--overlay", ov]
        for k, v in GUEST_ENV.items():
            cmd += ["--env", f"{k}={v}"]
        cmd += ["--", "/usr/bin/python3", "-c", wrapper, mod] + extra
        out, err = os.path.join(args.logs, f"{mod}.engine.out"), os.path.join(args.logs, f"{mod}.engine.err")
        rc, secs, to = run_cmd(cmd, limit, out, err)
        try:
            os.unlink(ov)
        except OSError:
            pass
        r = parse(out)
        r.update(status=rc, seconds=secs, timed_out=to, limit=limit)
        with lock:
            engine[mod] = r
            log(f"engine {mod:16} {fmt_counts(r):>22}  {secs:7.1f}s  {r.get('result') or ''}")

    if not args.native_only:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            list(ex.map(run_engine, modules))

    # The table.
    passed = failed = 0
    rows = []
    diffs = []
    for mod in modules:
        nr, er = native.get(mod), engine.get(mod)
        nc, ec = counts(nr), counts(er)
        if args.native_only:
            ok = nc is not None and not nr.get("timed_out")
            verdict = "native ok" if ok else "NATIVE BROKEN"
        elif nc is not None and nc == ec:
            ok, verdict = True, "same"
            if mod in known:
                verdict = "same (known.txt entry is stale)"
        elif mod in known:
            ok, verdict = True, f"known: {known[mod]}"
        else:
            ok, verdict = False, "DIFFERENT"
        if nc is None and not args.native_only:
            ok, verdict = False, "NO NATIVE RESULT"
        passed += ok
        failed += not ok
        rows.append((mod, fmt_counts(nr), fmt_counts(er) if not args.native_only else "-",
                     f"{nr['seconds']:.1f}" if nr else "-", f"{er['seconds']:.1f}" if er else "-",
                     f"{er['seconds'] / nr['seconds']:.0f}x" if nr and er and nr["seconds"] > 0 else "-",
                     (nr or {}).get("result") or "-", (er or {}).get("result") or "-", verdict))
        if nr and er and nc != ec:
            nd, ed = nr.get("cases", {}), er.get("cases", {})
            lines = []
            for name in sorted(set(nd) | set(ed)):
                a, b = nd.get(name, "absent"), ed.get(name, "absent")
                if a != b:
                    lines.append(f"  {name}: native {a}, engine {b}")
            diffs.append((mod, lines))
            with open(os.path.join(args.logs, f"{mod}.diff"), "w") as f:
                f.write("\n".join(lines) + "\n")

    head = ("module", "native run/fail/err/skip", "engine run/fail/err/skip", "native s", "engine s",
            "eng/nat", "native result", "engine result", "verdict")
    md = [f"# Python regression tests: engine vs native\n",
          f"Image `{image_id}`, engine `{' '.join(engine_prefix)}`, "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. Counts are tests run / failures / errors / skipped "
          f"from regrtest's --junit-xml (`-u none`, one python3 process per module). A module passes when the "
          f"engine's counts equal the native ones or it is listed in tests/pysuite/known.txt.\n",
          "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        md.append("| " + " | ".join(r) + " |")
    for mod, lines in diffs:
        md.append(f"\n## {mod}: tests whose result differs ({len(lines)})\n")
        md.append("```")
        md.extend(lines[:40] + ([f"  ... {len(lines) - 40} more in {args.logs}/{mod}.diff"] if len(lines) > 40 else []))
        md.append("```")
    md.append(f"\n{passed} passed, {failed} failed\n")
    os.makedirs(os.path.dirname(os.path.abspath(args.md)), exist_ok=True)
    with open(args.md, "w") as f:
        f.write("\n".join(md))

    w = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    log("")
    log("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
    for r in rows:
        log("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
    log(f"\n(table in {args.md})")
    subprocess.run(["rm", "-rf", tmp])
    log(f"pysuite: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
