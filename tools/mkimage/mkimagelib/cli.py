"""mkimage: recipe -> cached rootfs stages -> ext2 -> chunks + manifest.json."""

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import recipe as recipes
from . import rootfs, ext2, ext2w, chunks, chunkstat, fromdir, util
from .util import BuildError, log, canon, sha256_text, Timer

# Bump a stage's version when its code changes what it produces: its cached
# outputs (and everything after them) are then rebuilt.
# 2 (rootfs .. mkdirs): normalise() restamps .pyc headers (rootfs.restamp_pycs).
STAGE_VERSIONS = {"rootfs": 2, "layer": 2, "customise": 2, "trim": 2, "run": 2, "copy": 2,
                  "mkdirs": 2, "ext2": 2, "chunks": 1}

HOST_PACKAGES = {"debootstrap": "debootstrap", "mke2fs": "e2fsprogs", "e2fsck": "e2fsprogs",
                 "debugfs": "e2fsprogs"}


def default_cache():
    base = os.environ.get("GLASSBOX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "glassbox")
    return os.path.join(base, "image")


class Stage:
    def __init__(self, kind, step, parent, epoch, desc):
        self.kind = kind
        self.step = step
        self.parent = parent
        self.epoch = epoch
        self.desc = desc
        hashable = {k: v for k, v in step.items() if not k.startswith("_") and k != "line"}
        self.key = sha256_text(canon({"v": STAGE_VERSIONS[kind], "kind": kind, "epoch": epoch,
                                      "parent": parent.key if parent else None, "step": hashable}))


class Plan:
    def __init__(self, recipe):
        self.recipe = recipe
        self.stages = []
        self.login = None


def _step_stage(step, parent, epoch):
    k = step["kind"]
    if k == "apt":
        return Stage("layer", step, parent, epoch, "layer %s: apt-get install %s" % (step["layer"], " ".join(step["packages"])))
    if k == "customise":
        return Stage("customise", step, parent, epoch, "customise (files + script)")
    if k == "trim":
        return Stage("trim", step, parent, epoch, "trim (%d patterns)" % len(step["remove"]))
    if k == "run":
        return Stage("run", step, parent, epoch, "RUN line %s: %s" % (step.get("line"), " ".join(step["argv"])[:60]))
    if k == "copy":
        return Stage("copy", step, parent, epoch, "%s line %s: %s -> %s" % ("ADD" if step["add"] else "COPY",
                                                                       step.get("line"), " ".join(step["srcs"]), step["dest"]))
    if k == "mkdirs":
        return Stage("mkdirs", step, parent, epoch, "WORKDIR %s" % ", ".join(d for d, _ in step["mkdirs"]))
    raise BuildError("internal: unknown step %s" % k)


def make_plan(recipe, _depth=0):
    if _depth > 8:
        raise BuildError("FROM glassbox:... recipes refer to each other in a loop")
    p = Plan(recipe)
    base = recipe.base
    epoch = recipe.epoch
    parent = None
    base_login = recipes.debian_login()
    if base["kind"] == "debootstrap":
        parent = Stage("rootfs", base, None, epoch, "debootstrap %s %s + %d packages"
                       % (base["suite"], base["variant"], len(base["packages"])))
        p.stages.append(parent)
    elif base["kind"] == "tarball":
        parent = Stage("rootfs", base, None, epoch, "rootfs tarball %s" % os.path.basename(base["_path"]))
        p.stages.append(parent)
    elif base["kind"] == "debian":
        parent = Stage("rootfs", base["debootstrap"], None, epoch, "debootstrap bookworm minbase (debian:bookworm)")
        p.stages.append(parent)
        if base["slim"]:
            parent = Stage("trim", recipes.SLIM_TRIM | {"kind": "trim"}, parent, epoch, "trim (-slim)")
        else:
            parent = Stage("trim", recipes.DEBIAN_TRIM | {"kind": "trim"}, parent, epoch, "trim (apt lists and caches)")
        p.stages.append(parent)
    elif base["kind"] == "recipe":
        sub = make_plan(recipes.load(base["_dir"]), _depth + 1)
        p.stages.extend(sub.stages)
        parent = sub.stages[-1]
        base_login = sub.login
    else:
        raise BuildError("internal: unknown base %s" % base["kind"])
    if recipe.kind == "dockerfile":
        # Docker semantics: the base image's user, cwd, env and command are inherited
        for step in recipe.steps:
            if step["kind"] == "run":
                env = dict(base_login["env"])
                env.update(step["env"])
                step["env"] = env
                if step["user"] is None:
                    step["user"] = base_login["user"]
                if step["workdir"] is None:
                    step["workdir"] = base_login["cwd"]
        login = json.loads(json.dumps(base_login))
        o = recipe.login_overrides
        login["env"].update(o.get("env", {}))
        if "user" in o:
            login["user"] = o["user"]
        if "cwd" in o:
            login["cwd"] = o["cwd"]
        ep = o.get("entrypoint", login.get("entrypoint", []))
        cmdpart = o.get("cmd_part", login["cmd"] if "entrypoint" not in login else login.get("cmd_part", []))
        if "entrypoint" in o or "cmd_part" in o:
            login["cmd"] = list(ep) + list(cmdpart)
            login["entrypoint"] = list(ep)
            login["cmd_part"] = list(cmdpart)
        p.login = login
    else:
        p.login = recipe.login
    for step in recipe.steps:
        parent = _step_stage(step, parent, epoch)
        p.stages.append(parent)
    return p


# ------------------------------------------------------------------- host

def ensure_host_tools(need_debootstrap):
    """apt-get install what the build needs, only if it is missing (idempotent)."""
    missing = []
    for tool, pkg in HOST_PACKAGES.items():
        if tool == "debootstrap" and not need_debootstrap:
            continue
        if not any(os.path.exists(os.path.join(d, tool)) for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin")) \
                and shutil.which(tool) is None:
            missing.append(pkg)
    if need_debootstrap and not os.path.exists("/usr/share/keyrings/debian-archive-keyring.gpg"):
        missing.append("debian-archive-keyring")
    missing = sorted(set(missing))
    if not missing:
        return
    if os.geteuid() != 0:
        raise BuildError("missing host packages: %s (run as root so mkimage can apt-get install them)"
                         % " ".join(missing))
    log("installing host packages: %s" % " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing
    if subprocess.run(cmd, env=env).returncode != 0:
        util.run(["apt-get", "update", "-q"], env=env)
        util.run(cmd, env=env)


class Cache:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        for d in ("stages", "ext2", "chunks", "tmp", "debs"):
            os.makedirs(os.path.join(self.path, d), exist_ok=True)
        self._lock = None

    def lock(self):
        self._lock = open(os.path.join(self.path, "lock"), "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another mkimage using %s" % self.path)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        # leftovers of an interrupted build
        tmp = os.path.join(self.path, "tmp")
        for name in os.listdir(tmp):
            util.rmtree_safe(os.path.join(tmp, name))

    def stage_dir(self, key):
        return os.path.join(self.path, "stages", key)

    def done(self, d):
        return os.path.exists(os.path.join(d, ".done"))

    def touch(self, d):
        """Record a use (for `cache gc`): the mtime of .done is the last time a build used d."""
        try:
            os.utime(os.path.join(d, ".done"))
        except OSError:
            pass

    def new_tmp(self, key):
        return tempfile.mkdtemp(prefix=key[:16] + ".", dir=os.path.join(self.path, "tmp"))

    def commit(self, tmp, final):
        with open(os.path.join(tmp, ".done"), "w") as f:
            f.write("ok\n")
        if os.path.exists(final):
            trash = self.new_tmp("old")
            os.rename(final, os.path.join(trash, "x"))
            util.rmtree_safe(trash)
        os.rename(tmp, final)


# ------------------------------------------------------------------ build

def stage_intact(d):
    """Whether a cached stage's root is still the tree it was built as (its metadata
    fingerprint, stage.json). A stage from before fingerprints gets one now."""
    sj = os.path.join(d, "stage.json")
    try:
        with open(sj) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    now = util.tree_fingerprint(os.path.join(d, "root"))
    if "fingerprint" not in meta:
        meta["fingerprint"] = now
        with open(sj, "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        return True
    return meta["fingerprint"] == now


def build_stage(cache, stage, forced):
    d = cache.stage_dir(stage.key)
    if cache.done(d) and not forced:
        if stage_intact(d):
            log("cached   %s  [%s]" % (stage.desc, stage.key[:12]))
            cache.touch(d)
            return os.path.join(d, "root"), None
        # Something wrote into the cached tree (a guest run with it as its root, say):
        # what it would give is no longer what the recipe says. Build it again.
        log("changed  %s  [%s]: its cached root was modified after it was built; rebuilding"
            % (stage.desc, stage.key[:12]))
    t = Timer()
    log("building %s  [%s]" % (stage.desc, stage.key[:12]))
    tmp = cache.new_tmp(stage.key)
    root = os.path.join(tmp, "root")
    step = stage.step
    try:
        if stage.parent is None:
            if step["kind"] == "debootstrap":
                os.mkdir(root)
                rootfs.do_debootstrap(step, root, os.path.join(cache.path, "debs"))
            else:
                rootfs.do_tarball(step, root)
        else:
            proot = os.path.join(cache.stage_dir(stage.parent.key), "root")
            util.copy_tree(proot, root)
            k = step["kind"]
            if step.get("mkdirs"):
                rootfs.do_mkdirs(root, step["mkdirs"])
            if k == "apt":
                rootfs.do_apt(step, root)
            elif k == "customise":
                rootfs.do_customise(step, root)
            elif k == "trim":
                rootfs.do_trim(step, root)
            elif k == "run":
                rootfs.do_run(step, root)
            elif k == "copy":
                rootfs.do_copy(step, root)
        rootfs.normalise(root, stage.epoch)
        data, blocks, entries = util.tree_size(root)
        meta = {"kind": stage.kind, "desc": stage.desc, "key": stage.key,
                "parent": stage.parent.key if stage.parent else None,
                "seconds": round(t(), 1), "file_data_bytes": data, "allocated_bytes": blocks,
                "entries": entries, "fingerprint": util.tree_fingerprint(root)}
        with open(os.path.join(tmp, "stage.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        cache.commit(tmp, d)
    except BaseException:
        util.rmtree_safe(tmp)
        raise
    log("built    %s in %.1f s (%s in %d entries)" % (stage.desc, t(), util.fmt_bytes(data), entries))
    return os.path.join(d, "root"), meta


def resolve_login(root, login):
    out = {"user": login["user"], "cwd": login["cwd"], "cmd": list(login["cmd"]), "env": dict(login["env"])}
    uid, gid, home, name, shell = rootfs.resolve_user(root, login["user"])
    out["user"] = name
    out["uid"] = uid
    out["gid"] = gid
    env = out["env"]
    env.setdefault("HOME", home)
    env.setdefault("USER", name)
    env.setdefault("LOGNAME", name)
    env.setdefault("SHELL", shell)
    out["env"] = dict(sorted(env.items()))
    return out


def write_manifest(path, m):
    """Stable layout: top level pretty, one chunk per line; sorted keys everywhere."""
    lines = ["{"]
    keys = [k for k in sorted(m) if k != "chunks"]
    for k in keys:
        lines.append(" %s: %s," % (json.dumps(k), json.dumps(m[k], sort_keys=True)))
    lines.append(' "chunks": [')
    ch = m["chunks"]
    for i, e in enumerate(ch):
        lines.append("  %s%s" % (json.dumps(e, sort_keys=True), "," if i + 1 < len(ch) else ""))
    lines.append(" ]")
    lines.append("}")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def cmd_build(args):
    total = Timer()
    r = recipes.load(args.recipe, args.layer)
    if args.chunk_size:
        r.chunks["size_kib"] = args.chunk_size
    if args.no_gzip:
        r.chunks["gzip"] = False
    plan = make_plan(r)
    cache = Cache(args.cache)
    need_deb = any(s.parent is None and s.step["kind"] == "debootstrap" and not cache.done(cache.stage_dir(s.key))
                   for s in plan.stages)
    if os.geteuid() != 0:
        raise BuildError("mkimage build must run as root (debootstrap, chroot and file owners need it)")
    ensure_host_tools(need_deb or args.force == "rootfs")
    cache.lock()
    force_from = None
    if args.force in ("all", "rootfs"):
        force_from = 0
    elif args.force and args.force not in ("ext2", "chunks"):
        for i, s in enumerate(plan.stages):
            if s.kind == args.force:
                force_from = i
                break
        else:
            raise BuildError("--force %s: this recipe has no %s stage (stages: %s)"
                             % (args.force, args.force, ", ".join(s.kind for s in plan.stages)))
    timings = []
    root = None
    first_root_meta = None
    for i, s in enumerate(plan.stages):
        t = Timer()
        root, meta = build_stage(cache, s, force_from is not None and i >= force_from)
        timings.append({"stage": s.kind, "desc": s.desc, "key": s.key, "cached": meta is None,
                        "seconds": round(t(), 2)})
    stage_info = []
    for s in plan.stages:
        with open(os.path.join(cache.stage_dir(s.key), "stage.json")) as f:
            stage_info.append(json.load(f))
    final = plan.stages[-1]

    # ext2
    e2opts = dict(r.ext2)
    chunk_size = int(r.chunks["size_kib"]) * 1024
    if chunk_size < 4096 or chunk_size & (chunk_size - 1):
        raise BuildError("chunk size must be a power of two >= 4 KiB (got %d)" % chunk_size)
    align = max(4 << 20, chunk_size)
    here = os.path.dirname(os.path.abspath(__file__))
    tool_hash = sha256_text(canon({n: util.sha256_file(os.path.join(here, n))
                                   for n in sorted(os.listdir(here)) if n.endswith(".py")}))
    previous = ext2w.load_layout(args.previous) if args.previous else None
    e2key = sha256_text(canon({"v": STAGE_VERSIONS["ext2"], "rootfs": final.key, "opts": e2opts,
                               "epoch": r.epoch, "align": align, "tool": tool_hash, "chunk": chunk_size,
                               "previous": ext2w.layout_hash(previous) if previous else None}))
    e2dir = os.path.join(cache.path, "ext2", e2key)
    forced_e2 = force_from is not None or args.force in ("ext2",)
    t = Timer()
    if cache.done(e2dir) and not forced_e2:
        log("cached   ext2 image  [%s]" % e2key[:12])
        cache.touch(e2dir)
        cached_e2 = True
    else:
        log("building ext2 image  [%s]" % e2key[:12])
        tmp = cache.new_tmp(e2key)
        try:
            info, layout = ext2.make_ext2(root, os.path.join(tmp, "image.ext2"), e2opts, r.epoch, final.key,
                                          align, chunk_size, previous)
            info["image_id"] = chunks.image_hash(os.path.join(tmp, "image.ext2"))
            info["parent_image_id"] = previous.get("image_id") if previous else None
            layout["image_id"] = info["image_id"]
            with open(os.path.join(tmp, "layout.json"), "w") as f:
                json.dump(layout, f, sort_keys=True, separators=(",", ":"))
            with open(os.path.join(tmp, "info.json"), "w") as f:
                json.dump(info, f, indent=1, sort_keys=True)
            cache.commit(tmp, e2dir)
        except BaseException:
            util.rmtree_safe(tmp)
            raise
        cached_e2 = False
    timings.append({"stage": "ext2", "key": e2key, "cached": cached_e2, "seconds": round(t(), 2)})
    img = os.path.join(e2dir, "image.ext2")
    with open(os.path.join(e2dir, "info.json")) as f:
        e2info = json.load(f)

    # chunks
    use_gz = bool(r.chunks.get("gzip", True))
    level = int(r.chunks.get("gzip_level", 6))
    ckey = sha256_text(canon({"v": STAGE_VERSIONS["chunks"], "image": e2info["image_id"], "size": chunk_size,
                              "gzip": use_gz, "level": level, "min_saving": chunks.MIN_SAVING,
                              "zlib": __import__("zlib").ZLIB_RUNTIME_VERSION}))
    cdir = os.path.join(cache.path, "chunks", ckey)
    t = Timer()
    if cache.done(cdir) and args.force not in ("chunks",) and not forced_e2:
        log("cached   chunks  [%s]" % ckey[:12])
        cache.touch(cdir)
        cached_c = True
    else:
        log("building chunks (%d KiB%s)  [%s]" % (chunk_size // 1024, ", gzip -%d" % level if use_gz else "", ckey[:12]))
        tmp = cache.new_tmp(ckey)
        try:
            table, cstats = chunks.split(img, os.path.join(tmp, "chunks"), chunk_size, use_gz, level)
            with open(os.path.join(tmp, "table.json"), "w") as f:
                json.dump({"chunks": table, "stats": cstats}, f)
            cache.commit(tmp, cdir)
        except BaseException:
            util.rmtree_safe(tmp)
            raise
        cached_c = False
    timings.append({"stage": "chunks", "key": ckey, "cached": cached_c, "seconds": round(t(), 2)})
    with open(os.path.join(cdir, "table.json")) as f:
        tj = json.load(f)
    table, cstats = tj["chunks"], tj["stats"]

    # manifest + output directory
    login = resolve_login(root, plan.login)
    manifest = {
        "format": chunks.FORMAT, "version": chunks.FORMAT_VERSION,
        "image_id": e2info["image_id"], "image_size": e2info["image_size"],
        "chunk_size": chunk_size, "chunk_count": len(table), "chunks_dir": "chunks",
        "compression": "gzip" if use_gz else "none",
        "fs": {"type": "ext2", "block_size": int(e2opts["block_size"]), "inodes": e2info["inodes"],
               "uuid": e2info["uuid"], "features": e2info["features"]},
        "recipe": {"name": r.name, "kind": r.kind, "hash": "sha256:" + r.hash, "layers": r.layers,
                   "rootfs_key": final.key},
        "login": login, "labels": r.labels, "stats": cstats, "chunks": table,
        "identity": {"lineage": e2info["lineage"], "image_id": e2info["image_id"],
                     "parent_image_id": e2info.get("parent_image_id"), "layout": "layout.json"},
    }
    out = os.path.abspath(args.out)
    ochunks = os.path.join(out, "chunks")
    os.makedirs(ochunks, exist_ok=True)
    wanted = {e["hash"] for e in table if e}
    for name in os.listdir(ochunks):
        if name not in wanted:
            os.unlink(os.path.join(ochunks, name))
    src_chunks = os.path.join(cdir, "chunks")
    for h in sorted(wanted):
        dst = os.path.join(ochunks, h)
        if os.path.exists(dst):
            continue
        try:
            os.link(os.path.join(src_chunks, h), dst)  # chunk files are read-only and named by content
        except OSError:
            shutil.copyfile(os.path.join(src_chunks, h), dst)
    raw = os.path.join(out, "image.ext2")
    if args.no_raw:
        if os.path.exists(raw):
            os.unlink(raw)
    else:
        # a sparse copy, not a link: whoever opens OUTDIR/image.ext2 read-write cannot damage the cache
        tmpraw = raw + ".tmp"
        util.run(["cp", "--sparse=always", "--reflink=auto", img, tmpraw])
        os.replace(tmpraw, raw)
    shutil.copyfile(os.path.join(e2dir, "layout.json"), os.path.join(out, "layout.json"))
    write_manifest(os.path.join(out, "manifest.json"), manifest)
    figures = {
        "recipe": r.name, "image_id": manifest["image_id"],
        "rootfs_bytes": stage_info[0]["file_data_bytes"],
        "final_rootfs_bytes": stage_info[-1]["file_data_bytes"],
        "final_rootfs_entries": stage_info[-1]["entries"],
        "image_size": e2info["image_size"], "chunk_size": chunk_size, "chunks": cstats["chunks"],
        "zero_chunks": cstats["zero_chunks"], "stored_chunks": cstats["stored_chunks"],
        "unique_chunk_files": cstats["unique_files"], "raw_bytes_of_stored_chunks": cstats["raw_bytes"],
        "stored_bytes": cstats["stored_bytes"], "gz_chunks": cstats["gz_chunks"],
        "seconds_total": round(total(), 1), "stages": timings,
        "stage_build_seconds": {s["kind"] + ":" + s["key"][:8]: s["seconds"] for s in stage_info},
    }
    with open(os.path.join(out, "build.json"), "w") as f:
        json.dump(figures, f, indent=1, sort_keys=True)
    print("image    %s" % manifest["image_id"])
    print("rootfs   %s after the first stage, %s in the image (%d entries)"
          % (util.fmt_bytes(figures["rootfs_bytes"]), util.fmt_bytes(figures["final_rootfs_bytes"]),
             figures["final_rootfs_entries"]))
    print("ext2     %s (%d inodes)" % (util.fmt_bytes(e2info["image_size"]), e2info["inodes"]))
    print("chunks   %d x %d KiB: %d zero (omitted), %d stored in %d files, %s raw -> %s stored"
          % (cstats["chunks"], chunk_size // 1024, cstats["zero_chunks"], cstats["stored_chunks"],
             cstats["unique_files"], util.fmt_bytes(cstats["raw_bytes"]), util.fmt_bytes(cstats["stored_bytes"])))
    print("output   %s (manifest.json, chunks/, image.ext2)" % out)
    print("time     %.1f s" % total())
    return 0


def cmd_plan(args):
    r = recipes.load(args.recipe, args.layer)
    plan = make_plan(r)
    cache = Cache(args.cache)
    if args.print_root:
        d = cache.stage_dir(plan.stages[-1].key)
        if not cache.done(d):
            raise BuildError("the final rootfs of %s is not built yet" % args.recipe)
        print(os.path.join(d, "root"))
        return 0
    for s in plan.stages:
        state = "cached" if cache.done(cache.stage_dir(s.key)) else "todo"
        print("%-6s %-9s %s  %s" % (state, s.kind, s.key[:16], s.desc))
    print("login  %s" % json.dumps(plan.login, sort_keys=True))
    return 0


def cmd_verify(args):
    out = os.path.abspath(args.outdir)
    mpath = os.path.join(out, "manifest.json")
    with tempfile.TemporaryDirectory(dir=args.tmp) as td:
        img = os.path.join(td, "assembled.ext2")
        m = chunks.assemble(mpath, img)
        print("chunks reassemble the image %s (%d bytes)" % (m["image_id"], m["image_size"]))
        raw = os.path.join(out, "image.ext2")
        if os.path.exists(raw):
            if subprocess.run(["cmp", "-s", img, raw]).returncode != 0:
                raise BuildError("assembled image differs from %s" % raw)
            print("identical to %s" % raw)
        ext2.fsck(img)
        print("e2fsck -fn: clean")
    return 0


def cmd_assemble(args):
    m = chunks.assemble(os.path.join(args.outdir, "manifest.json"), args.output)
    print("%s -> %s (%s)" % (args.outdir, args.output, m["image_id"]))
    return 0


def cmd_cache(args):
    cache = Cache(args.cache)
    if args.action == "path":
        print(cache.path)
    elif args.action == "ls":
        for kind in ("stages", "ext2", "chunks"):
            d = os.path.join(cache.path, kind)
            for key in sorted(os.listdir(d)):
                info = ""
                sj = os.path.join(d, key, "stage.json")
                if os.path.exists(sj):
                    with open(sj) as f:
                        info = json.load(f)["desc"]
                print("%-7s %s %s" % (kind, key[:16], info))
    elif args.action == "gc":
        cache.lock()
        limit = time.time() - args.days * 86400
        freed = 0
        for kind in ("stages", "ext2", "chunks"):
            d = os.path.join(cache.path, kind)
            for key in sorted(os.listdir(d)):
                marker = os.path.join(d, key, ".done")
                if not os.path.exists(marker) or os.path.getmtime(marker) < limit:
                    r = subprocess.run(["du", "-sb", os.path.join(d, key)], capture_output=True, text=True)
                    freed += int(r.stdout.split()[0]) if r.returncode == 0 and r.stdout else 0
                    util.rmtree_safe(os.path.join(d, key))
                    print("removed %s/%s" % (kind, key[:16]))
        print("freed %s" % util.fmt_bytes(freed))
    elif args.action == "clean":
        cache.lock()
        for kind in ("stages", "ext2", "chunks", "debs"):
            util.rmtree_safe(os.path.join(cache.path, kind))
        print("removed %s" % cache.path)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mkimage", description="Build Glassbox guest images (see docs/image.md).")
    ap.add_argument("-v", "--verbose", action="count", default=1)
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--cache", default=default_cache(),
                    help="stage cache (default: ${GLASSBOX_CACHE:-~/.cache/glassbox}/image)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build an image: RECIPE is a recipe directory, a Dockerfile or a rootfs tarball")
    b.add_argument("recipe")
    b.add_argument("--out", required=True, help="output directory (manifest.json, chunks/, image.ext2, build.json)")
    b.add_argument("--layer", action="append", default=[], help="add an optional layer of the recipe (repeatable)")
    b.add_argument("--force", help="rebuild from this stage on: rootfs, layer, customise, trim, run, copy, ext2, chunks or all")
    b.add_argument("--chunk-size", type=int, help="chunk size in KiB (overrides the recipe)")
    b.add_argument("--no-gzip", action="store_true", help="store chunks uncompressed")
    b.add_argument("--previous", metavar="DIR|manifest.json|layout.json",
                   help="keep the layout of this earlier build of the same lineage (its layout.json): "
                        "unchanged files stay where they were, so few chunks change")
    b.add_argument("--no-raw", action="store_true", help="do not write OUTDIR/image.ext2")
    p = sub.add_parser("plan", help="show the stages of a recipe, their cache keys and whether they are cached")
    p.add_argument("recipe")
    p.add_argument("--layer", action="append", default=[])
    p.add_argument("--print-root", action="store_true", help="print the cached final rootfs directory only")
    v = sub.add_parser("verify", help="reassemble OUTDIR's chunks, check hashes, compare with image.ext2, e2fsck")
    v.add_argument("outdir")
    v.add_argument("--tmp", default=None, help="where to put the reassembled image")
    a = sub.add_parser("assemble", help="write the raw image from OUTDIR's manifest and chunks")
    a.add_argument("outdir")
    a.add_argument("-o", "--output", required=True)
    s = sub.add_parser("chunkstat", help="measure the chunks a cold workload touches, for several chunk sizes")
    s.add_argument("outdir", help="an output directory of mkimage build (its rootfs must be in the cache)")
    s.add_argument("--workload", help="shell command to trace (default: gcc hello + python3 -c pass)")
    s.add_argument("--user", help="run the workload as this user (default: the manifest's login user)")
    s.add_argument("--json", help="also write the figures to this file")
    fd = sub.add_parser("fromdir", help="a directory tree -> ext2 + chunks + manifest (tests; no recipe, no cache)")
    fd.add_argument("dir")
    fd.add_argument("--out", required=True)
    fd.add_argument("--name", default="fromdir")
    fd.add_argument("--previous", help="layout.json (or its directory) of an earlier image of the same lineage")
    fd.add_argument("--free-mb", type=int, default=16)
    fd.add_argument("--extra-inodes", type=int, default=1024)
    fd.add_argument("--alloc-start-mb", type=int, default=0, help="start placing data at this offset (tests)")
    fd.add_argument("--chunk-size", type=int, default=256, help="KiB")
    fd.add_argument("--epoch", type=int, default=1747699200)
    df = sub.add_parser("diff", help="chunks of NEW a client holding OLD must fetch")
    df.add_argument("old", help="output directory or manifest.json")
    df.add_argument("new")
    df.add_argument("--json", action="store_true")
    c = sub.add_parser("cache", help="path | ls | gc | clean")
    c.add_argument("action", choices=["path", "ls", "gc", "clean"])
    c.add_argument("--days", type=float, default=14, help="gc: remove entries no build used for this many days")
    args = ap.parse_args(argv)
    util.VERBOSE = 0 if args.quiet else args.verbose
    try:
        return {"build": cmd_build, "plan": cmd_plan, "verify": cmd_verify, "assemble": cmd_assemble,
                "cache": cmd_cache, "diff": fromdir.cmd_diff,
                "fromdir": lambda a: fromdir.cmd_fromdir(a, write_manifest),
                "chunkstat": lambda a: chunkstat.cmd_chunkstat(a, a.cache)}[args.cmd](args)
    except BuildError as e:
        print("mkimage: error: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mkimage: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
