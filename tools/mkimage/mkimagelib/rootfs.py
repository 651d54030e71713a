"""Filesystem stages: each one turns a rootfs directory into the next one."""

import contextlib
import fnmatch
import glob
import os
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import time

from .util import BuildError, log, run, resolve_in_root, mounts_under

DEBIAN_FRONTEND_ENV = {"DEBIAN_FRONTEND": "noninteractive", "DEBCONF_NONINTERACTIVE_SEEN": "true"}

DPKG_EXCLUDES = """\
# Written by glassbox mkimage (trim stage): packages installed later keep the image small too.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
"""


# ------------------------------------------------------------------ accounts

def _read_db(root, name):
    p = resolve_in_root(root, "/etc/" + name)
    rows = []
    if os.path.isfile(p):
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and not line.startswith("#"):
                    rows.append(line.split(":"))
    return rows


def resolve_user(root, spec):
    """USER spec (name, uid, name:group, uid:gid) -> (uid, gid, home, name, shell)."""
    if spec in (None, ""):
        spec = "root"
    user, _, group = spec.partition(":")
    passwd = _read_db(root, "passwd")
    ent = None
    for row in passwd:
        if len(row) >= 7 and (row[0] == user or row[2] == user):
            ent = row
            break
    if ent is None:
        if not user.isdigit():
            raise BuildError("USER %s: no such user in the image's /etc/passwd" % user)
        uid, gid, home, name, shell = int(user), int(user), "/", user, "/bin/sh"
    else:
        uid, gid, home, name, shell = int(ent[2]), int(ent[3]), ent[5], ent[0], ent[6]
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            for row in _read_db(root, "group"):
                if row[0] == group:
                    gid = int(row[2])
                    break
            else:
                raise BuildError("USER %s: no such group %s in the image's /etc/group" % (spec, group))
    return uid, gid, home, name, shell


def supplementary_groups(root, name, gid):
    gs = {gid}
    for row in _read_db(root, "group"):
        if len(row) >= 4 and name in row[3].split(","):
            gs.add(int(row[2]))
    return sorted(gs)


# ------------------------------------------------------------------- chroot

def _processes_in(root):
    rr = os.path.realpath(root)
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink("/proc/%s/root" % d) == rr:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


@contextlib.contextmanager
def chroot_env(root):
    """Make `root` usable for RUN: /proc, a minimal /dev, policy-rc.d, resolv.conf.

    Everything is undone on the way out, also when the command failed or the
    build was interrupted (SIGINT/SIGTERM raise through this).
    """
    mounts = []
    undo = []
    old_term = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_term)
    try:
        proc = resolve_in_root(root, "/proc")
        os.makedirs(proc, exist_ok=True)
        run(["mount", "-t", "proc", "proc", proc])
        mounts.append(proc)
        dev = resolve_in_root(root, "/dev")
        os.makedirs(dev, exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", "mode=755,size=65536k,nosuid", "glassbox-dev", dev])
        mounts.append(dev)
        for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
                                   ("urandom", 1, 9), ("tty", 5, 0)):
            os.mknod(os.path.join(dev, name), 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(os.path.join(dev, name), 0o666)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, os.path.join(dev, name))
        os.makedirs(os.path.join(dev, "shm"), mode=0o1777)
        os.chmod(os.path.join(dev, "shm"), 0o1777)
        pts = os.path.join(dev, "pts")
        os.makedirs(pts)
        if subprocess.run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=620",
                           "glassbox-devpts", pts], stderr=subprocess.DEVNULL).returncode == 0:
            mounts.append(pts)
            os.symlink("pts/ptmx", os.path.join(dev, "ptmx"))
        # services must not start inside a build
        prc = resolve_in_root(root, "/usr/sbin/policy-rc.d")
        if os.path.isdir(os.path.dirname(prc)) and not os.path.lexists(prc):
            with open(prc, "w") as f:
                f.write("#!/bin/sh\n# glassbox mkimage: no daemons during the build\nexit 101\n")
            os.chmod(prc, 0o755)
            undo.append(lambda: os.unlink(prc))
        # name resolution for apt-get inside RUN; the original file is put back afterwards
        rc = os.path.join(resolve_in_root(root, "/etc"), "resolv.conf")
        if os.path.isdir(os.path.dirname(rc)) and os.path.exists("/etc/resolv.conf"):
            saved = None
            if os.path.lexists(rc):
                saved = rc + ".glassbox-saved"
                os.rename(rc, saved)
            shutil.copyfile("/etc/resolv.conf", rc)

            def restore(rc=rc, saved=saved):
                if os.path.lexists(rc):
                    os.unlink(rc)
                if saved:
                    os.rename(saved, rc)
            undo.append(restore)
        yield
    finally:
        for _ in range(3):
            pids = _processes_in(root)
            if not pids:
                break
            for pid in pids:
                log("killing leftover process %d in the chroot" % pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        for mp in reversed(mounts):
            if subprocess.run(["umount", mp]).returncode != 0:
                subprocess.run(["umount", "-l", mp])
        for u in reversed(undo):
            try:
                u()
            except OSError as e:
                log("warning: cleanup: %s" % e)
        signal.signal(signal.SIGTERM, old_term)
        left = mounts_under(root)
        if left:
            raise BuildError("could not unmount %s" % ", ".join(left))


def run_in_chroot(root, argv, env, user=None, workdir=None, what="RUN"):
    uid, gid, home, name, _ = resolve_user(root, user)
    groups = supplementary_groups(root, name, gid)
    wd = workdir or "/"
    full_env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": home, "HOSTNAME": "glassbox", "LANG": "C.UTF-8"}
    full_env.update(DEBIAN_FRONTEND_ENV)
    full_env.update(env or {})

    def child():
        os.chroot(root)
        os.chdir(wd)
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
        os.umask(0o022)

    log("%s (as %s in %s): %s" % (what, user or "root", wd, " ".join(argv)))
    try:
        r = subprocess.run(argv, env=full_env, preexec_fn=child, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        raise BuildError("%s failed to start: %s" % (what, e))
    if r.returncode != 0:
        raise BuildError("%s failed with exit status %d: %s" % (what, r.returncode, " ".join(argv)))


# ------------------------------------------------------------ base stages

def do_debootstrap(step, target, debs_cache):
    os.makedirs(debs_cache, exist_ok=True)
    cmd = ["debootstrap", "--variant=" + step["variant"], "--arch=" + step["arch"],
           "--components=" + ",".join(step["components"]), "--cache-dir=" + debs_cache]
    if step["packages"]:
        cmd.append("--include=" + ",".join(step["packages"]))
    cmd += [step["suite"], target, step["mirror"]]
    log("debootstrap %s %s (%d extra packages); this is the slow stage"
        % (step["suite"], step["variant"], len(step["packages"])))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        logf = os.path.join(target, "debootstrap", "debootstrap.log")
        tail = ""
        if os.path.exists(logf):
            with open(logf, errors="replace") as f:
                tail = "".join(f.readlines()[-30:])
        raise BuildError("debootstrap failed (exit %d)\n%s" % (r.returncode, tail))
    # debootstrap copies the build host's identity; an image must not carry it
    etc = resolve_in_root(target, "/etc")
    with open(os.path.join(etc, "hostname"), "w") as f:
        f.write("localhost\n")
    rc = os.path.join(etc, "resolv.conf")
    if os.path.lexists(rc):
        os.unlink(rc)
    with open(rc, "w") as f:
        f.write("# the glassbox VM has no network\n")
    for p in glob.glob(os.path.join(target, "var/cache/apt/archives/*.deb")):
        os.unlink(p)


def do_tarball(step, target):
    log("unpacking rootfs tarball %s" % step["_path"])
    os.makedirs(target, exist_ok=True)
    run(["tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--same-owner",
         "-f", step["_path"], "-C", target])
    # docker export adds these; they describe the container, not the image
    for p in (".dockerenv",):
        fp = os.path.join(target, p)
        if os.path.isfile(fp) and os.path.getsize(fp) == 0:
            os.unlink(fp)
    os.chmod(target, 0o755)


# --------------------------------------------------------- derived stages

def copy_into(root, src, dest, uid=0, gid=0, chmod=None):
    """Copy host file or directory `src` to guest path `dest` (file path, or
    directory when src is a directory), without ever following the guest's
    symlinks out of `root`."""
    st = os.lstat(src)
    if stat.S_ISDIR(st.st_mode):
        hd = resolve_in_root(root, dest)
        if not os.path.isdir(hd):
            if os.path.lexists(hd):
                os.unlink(hd)
            _mkdirs(root, dest, 0, 0)
            os.chown(hd, uid, gid)
            os.chmod(hd, int(chmod, 8) if chmod else stat.S_IMODE(st.st_mode))
        for name in sorted(os.listdir(src)):
            copy_into(root, os.path.join(src, name), dest.rstrip("/") + "/" + name, uid, gid, chmod)
        return
    parent, base = dest.rstrip("/").rsplit("/", 1) if "/" in dest.rstrip("/") else ("", dest)
    _mkdirs(root, parent or "/", 0, 0)
    hp = os.path.join(resolve_in_root(root, parent or "/"), base)
    if os.path.lexists(hp) and not os.path.isdir(hp) or os.path.islink(hp):
        os.unlink(hp)
    elif os.path.isdir(hp):
        raise BuildError("cannot copy file %s over directory %s" % (src, dest))
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), hp)
        os.lchown(hp, uid, gid)
        return
    shutil.copyfile(src, hp)
    os.chown(hp, uid, gid)
    os.chmod(hp, int(chmod, 8) if chmod else stat.S_IMODE(st.st_mode))


def _mkdirs(root, path, uid, gid, mode=0o755):
    cur = "/"
    for part in [p for p in path.split("/") if p]:
        cur = cur.rstrip("/") + "/" + part
        hp = resolve_in_root(root, cur)
        if not os.path.isdir(hp):
            if os.path.lexists(hp):
                raise BuildError("%s exists in the image and is not a directory" % cur)
            os.mkdir(hp, mode)
            os.chown(hp, uid, gid)


def do_mkdirs(root, entries):
    for path, user in entries:
        uid, gid = 0, 0
        if user:
            uid, gid, *_ = resolve_user(root, user)
        hp = resolve_in_root(root, path)
        existed = os.path.isdir(hp)
        _mkdirs(root, path, 0, 0)
        if not existed:
            os.chown(hp, uid, gid)


def do_copy(step, root):
    uid = gid = 0
    if step.get("chown"):
        uid, gid, *_ = resolve_user(root, step["chown"])
    ctx = step["_ctx"]
    dest = step["dest"]
    dest_is_dir = dest.endswith("/") or step["many"] or os.path.isdir(resolve_in_root(root, dest))
    for rel in step["srcs"]:
        src = os.path.join(ctx, rel)
        if step["add"] and os.path.isfile(src) and _is_tar(src):
            _mkdirs(root, dest, 0, 0)
            tmpname = "/tmp/.glassbox-add-%d.tar" % os.getpid()
            copy_into(root, src, tmpname)
            try:
                with chroot_env(root):
                    run_in_chroot(root, ["tar", "-x", "-f", tmpname, "-C", dest], {}, "root", "/", "ADD")
            finally:
                os.unlink(resolve_in_root(root, tmpname))
            continue
        if os.path.isdir(src):
            copy_into(root, src, dest, uid, gid, step.get("chmod"))
        elif dest_is_dir:
            _mkdirs(root, dest, 0, 0)
            copy_into(root, src, dest.rstrip("/") + "/" + os.path.basename(src), uid, gid, step.get("chmod"))
        else:
            copy_into(root, src, dest, uid, gid, step.get("chmod"))


def _is_tar(path):
    import tarfile
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def do_run(step, root):
    with chroot_env(root):
        run_in_chroot(root, step["argv"], step["env"], step["user"], step["workdir"],
                      "RUN (line %s)" % step.get("line", "?"))


def do_apt(step, root):
    """An optional layer: extra packages installed with apt inside the chroot."""
    with chroot_env(root):
        run_in_chroot(root, ["apt-get", "update", "-q"], {}, "root", "/", "layer %s" % step["layer"])
        run_in_chroot(root, ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + step["packages"],
                      {}, "root", "/", "layer %s" % step["layer"])
        run_in_chroot(root, ["apt-get", "clean"], {}, "root", "/", "layer %s" % step["layer"])
    for p in glob.glob(os.path.join(root, "var/lib/apt/lists/*")):
        if os.path.isfile(p) and not p.endswith("/lock"):
            os.unlink(p)


def do_customise(step, root):
    if step.get("_files"):
        log("customise: copying %s into the image" % step["_files"])
        copy_into(root, step["_files"], "/")
    if step.get("_script"):
        tmpname = "/tmp/.glassbox-customise.sh"
        copy_into(root, step["_script"], tmpname, chmod="0755")
        try:
            with chroot_env(root):
                run_in_chroot(root, ["/bin/sh", "-e", tmpname], {}, "root", "/", "customise script")
        finally:
            os.unlink(resolve_in_root(root, tmpname))


def do_trim(step, root):
    rroot = os.path.realpath(root)
    keep = set()
    for pat in step["keep"]:
        for m in glob.glob(os.path.join(root, pat)):
            keep.add(os.path.relpath(m, root))
    removed = [0, 0]

    def keeps_inside(rel):
        pre = rel + "/"
        return any(k.startswith(pre) for k in keep)

    def remove(rel):
        full = os.path.join(root, rel)
        if not os.path.realpath(os.path.dirname(full)).startswith(rroot):
            return  # a path through a symlink leaving the rootfs: leave it alone
        if rel in keep:
            return
        if os.path.isdir(full) and not os.path.islink(full):
            if keeps_inside(rel):
                for name in os.listdir(full):
                    remove(os.path.join(rel, name))
                return
            for dp, dn, fn in os.walk(full):
                removed[0] += len(fn)
            shutil.rmtree(full)
        elif os.path.lexists(full):
            removed[0] += 1
            os.unlink(full)

    for pat in step["remove"]:
        for m in sorted(glob.glob(os.path.join(root, pat))):
            remove(os.path.relpath(m, root))
    if step.get("dpkg_excludes"):
        d = resolve_in_root(root, "/etc/dpkg/dpkg.cfg.d")
        if os.path.isdir(d):
            with open(os.path.join(d, "glassbox-excludes"), "w") as f:
                f.write(DPKG_EXCLUDES)
    log("trim: removed %d files" % removed[0])


# ---------------------------------------------------------------- normalise

def _clamped_ns(mtime_ns, limit):
    """The mtime normalise() gives a file: whole seconds, at most `limit` (ns)."""
    return min(mtime_ns // 1_000_000_000 * 1_000_000_000, limit)


def restamp_pycs(root, limit):
    """Keep byte-compiled Python valid across the timestamp clamp.

    A timestamp-based .pyc (PEP 552 flags 0) records its source's mtime and size, and
    Python recompiles the source when either differs. The packages' postinst scripts
    (py3compile) compile with the sources' mtimes from the .deb; clamping those mtimes
    to the epoch below made every such .pyc stale, so each import of a module that is
    not frozen (encodings, its aliases table, sitecustomize, ...) compiled its source
    again: `python3 -c pass` retired 48 M guest instructions instead of 29 M, on every
    start where the .pyc cannot be rewritten (a student's /usr/lib, PYTHONDONTWRITEBYTECODE).
    A .pyc that matches its source before the clamp gets the clamped mtime in its header;
    one that was already stale stays stale. Returns the number rewritten."""
    n = 0
    for dp, dn, fn in os.walk(root):
        if os.path.basename(dp) != "__pycache__" or os.path.islink(dp):
            continue
        for name in fn:
            if not name.endswith(".pyc") or name.count(".") < 2:
                continue
            pyc = os.path.join(dp, name)
            if os.path.islink(pyc) or not os.path.isfile(pyc):
                continue
            guest_src = "/" + os.path.relpath(os.path.join(os.path.dirname(dp), name.split(".", 1)[0] + ".py"), root)
            try:
                src = resolve_in_root(root, guest_src)
                st = os.stat(src)
            except (OSError, BuildError):
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            with open(pyc, "r+b") as f:
                head = f.read(16)
                if len(head) < 16:
                    continue
                flags, mt, size = struct.unpack("<III", head[4:16])
                if flags != 0 or mt != (int(st.st_mtime) & 0xFFFFFFFF) or size != (st.st_size & 0xFFFFFFFF):
                    continue
                new = (_clamped_ns(st.st_mtime_ns, limit) // 1_000_000_000) & 0xFFFFFFFF
                if new != mt:
                    f.seek(8)
                    f.write(struct.pack("<I", new))
                    n += 1
    if n:
        log("normalise: %d .pyc headers restamped with their sources' clamped mtimes" % n)
    return n


def normalise(root, epoch):
    """Make the tree a function of its inputs: no logs, no backup files, no
    build dates, every timestamp clamped to `epoch` (SOURCE_DATE_EPOCH)."""
    logdir = os.path.join(root, "var/log")
    if os.path.isdir(logdir) and not os.path.islink(logdir):
        for dp, dn, fn in os.walk(logdir):
            for name in fn:
                p = os.path.join(dp, name)
                if os.path.isfile(p) and not os.path.islink(p) and os.path.getsize(p):
                    with open(p, "r+b") as f:
                        f.truncate(0)
    junk = ["var/cache/ldconfig/aux-cache", "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
            "etc/passwd-", "etc/group-", "etc/shadow-", "etc/gshadow-", "etc/subuid-", "etc/subgid-",
            "root/.bash_history", "root/.python_history", "root/.lesshst", "root/.wget-hsts",
            "var/lib/dpkg/lock*", "var/cache/apt/*.bin", "var/lib/apt/lists/partial/*"]
    for pat in junk:
        for p in glob.glob(os.path.join(root, pat)):
            if os.path.isfile(p) or os.path.islink(p):
                os.unlink(p)
    days = str(epoch // 86400)
    for name in ("shadow",):
        p = os.path.join(root, "etc", name)
        if os.path.isfile(p) and not os.path.islink(p):
            with open(p) as f:
                lines = f.read().split("\n")
            out = []
            for line in lines:
                parts = line.split(":")
                if len(parts) >= 3 and parts[2].isdigit():
                    parts[2] = days
                out.append(":".join(parts))
            st = os.stat(p)
            with open(p, "w") as f:
                f.write("\n".join(out))
            os.chmod(p, stat.S_IMODE(st.st_mode))
    limit = epoch * 1_000_000_000
    restamp_pycs(root, limit)
    for dp, dn, fn in os.walk(root, topdown=False):
        for name in fn + dn:
            p = os.path.join(dp, name)
            st = os.lstat(p)
            m = _clamped_ns(st.st_mtime_ns, limit)
            if st.st_mtime_ns != m or st.st_atime_ns != m:
                os.utime(p, ns=(m, m), follow_symlinks=False)
    st = os.lstat(root)
    m = _clamped_ns(st.st_mtime_ns, limit)
    os.utime(root, ns=(m, m))
