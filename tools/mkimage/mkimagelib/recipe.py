"""Recipes: a recipe directory (recipe.toml), a Dockerfile subset, or a rootfs tarball.

All three compile to the same thing: a base step, a list of filesystem steps
(each one becomes a cached stage), image/chunk options, and the login
defaults that go into manifest.json.
"""

import glob
import json
import os
import re
import shlex
import tomllib

from .util import BuildError, hash_tree, sha256_file, sha256_text, canon

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_EPOCH = 1747699200  # 2025-05-20T00:00:00Z; every timestamp in the image is clamped to it
DEFAULT_MIRROR = "http://deb.debian.org/debian"

DEFAULT_EXT2 = {"free_mb": 1024, "extra_inodes": 32768, "inode_size": 256, "block_size": 4096}
DEFAULT_CHUNKS = {"size_kib": 256, "gzip": True, "gzip_level": 6}

# What the debian:bookworm(-slim) images of Docker are: a minbase debootstrap
# (debuerreotype), -slim additionally without docs, man pages and translations.
SLIM_TRIM = {
    "remove": ["usr/share/doc/*", "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*",
               "usr/share/lintian/*", "usr/share/linda/*", "var/cache/apt/*.bin",
               "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*"],
    "keep": ["usr/share/doc/*/copyright", "usr/share/locale/locale.alias",
             "var/lib/apt/lists/lock", "var/lib/apt/lists/partial"],
    "dpkg_excludes": True,
}

# debian:bookworm: Docker's image has no apt lists or package caches either
DEBIAN_TRIM = {
    "remove": ["var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*"],
    "keep": ["var/lib/apt/lists/lock", "var/lib/apt/lists/partial"],
    "dpkg_excludes": False,
}

DOCKER_SUPPORTED = ["FROM", "RUN", "COPY", "ADD", "ENV", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "LABEL"]
DOCKER_KNOWN_UNSUPPORTED = ["ARG", "EXPOSE", "VOLUME", "HEALTHCHECK", "ONBUILD", "STOPSIGNAL",
                            "SHELL", "MAINTAINER"]

TARBALL_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar.zst")


class Recipe:
    def __init__(self):
        self.name = None
        self.kind = None          # "recipe", "dockerfile", "tarball"
        self.path = None          # what the user named
        self.context = None       # directory relative paths are taken from
        self.hash = None          # hash of every input file of the recipe
        self.base = None          # base step (debootstrap / tarball / recipe reference)
        self.steps = []           # filesystem steps after the base
        self.epoch = DEFAULT_EPOCH
        self.ext2 = dict(DEFAULT_EXT2)
        self.chunks = dict(DEFAULT_CHUNKS)
        self.login = None         # None: inherit from base (dockerfile) or debian default
        self.login_overrides = {}  # dockerfile USER/WORKDIR/ENV/CMD/ENTRYPOINT on top of the base
        self.labels = {}
        self.layers = []


def images_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "images"))


def debian_login():
    return {"user": "root", "cwd": "/", "cmd": ["/bin/bash"], "env": {"PATH": DEFAULT_PATH}}


def load(path, layers=()):
    """Load a recipe from a directory, a recipe.toml, a Dockerfile or a tarball."""
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise BuildError("no such recipe: %s" % path)
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "recipe.toml")):
            r = load_toml(os.path.join(path, "recipe.toml"), layers)
        elif os.path.exists(os.path.join(path, "Dockerfile")):
            r = load_dockerfile(os.path.join(path, "Dockerfile"))
        else:
            raise BuildError("%s has neither recipe.toml nor Dockerfile" % path)
    elif path.endswith(TARBALL_SUFFIXES):
        r = load_tarball(path)
    elif path.endswith(".toml"):
        r = load_toml(path, layers)
    else:
        r = load_dockerfile(path)
    if layers and r.kind != "recipe":
        raise BuildError("--layer only applies to recipe.toml recipes")
    return r


# ---------------------------------------------------------------- recipe.toml

def _trim_step(spec):
    return {"kind": "trim", "remove": list(spec.get("remove", [])), "keep": list(spec.get("keep", [])),
            "dpkg_excludes": bool(spec.get("dpkg_excludes", False))}


def load_toml(path, layers=()):
    ctx = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise BuildError("%s: %s" % (path, e))
    known = {"name", "epoch", "rootfs", "layers", "customise", "trim", "ext2", "chunks", "login",
             "description"}
    for k in doc:
        if k not in known:
            raise BuildError("%s: unknown key %r (known: %s)" % (path, k, ", ".join(sorted(known))))
    r = Recipe()
    r.kind = "recipe"
    r.path = path
    r.context = ctx
    r.name = doc.get("name", os.path.basename(ctx))
    r.epoch = int(doc.get("epoch", DEFAULT_EPOCH))
    rootfs = doc.get("rootfs", {})
    if "tarball" in rootfs:
        tar = os.path.join(ctx, rootfs["tarball"])
        r.base = tarball_step(tar)
    elif "from" in rootfs:
        r.base = from_step(rootfs["from"], ctx, 0, path)
    else:
        r.base = debootstrap_step(rootfs)
    all_layers = doc.get("layers", {})
    for name in layers:
        if name not in all_layers:
            raise BuildError("%s: no layer %r (have: %s)" % (path, name, ", ".join(sorted(all_layers)) or "none"))
        pk = sorted(all_layers[name].get("packages", []))
        r.steps.append({"kind": "apt", "packages": pk, "layer": name})
        r.layers.append(name)
    cust = doc.get("customise")
    if cust:
        step = {"kind": "customise"}
        if "files" in cust:
            fdir = os.path.join(ctx, cust["files"])
            if not os.path.isdir(fdir):
                raise BuildError("%s: customise.files %s is not a directory" % (path, fdir))
            step["files_hash"] = hash_tree(fdir)
            step["_files"] = fdir
        if "script" in cust:
            sp = os.path.join(ctx, cust["script"])
            if not os.path.isfile(sp):
                raise BuildError("%s: customise.script %s not found" % (path, sp))
            step["script_hash"] = sha256_file(sp)
            step["_script"] = sp
        r.steps.append(step)
    if "trim" in doc:
        r.steps.append(_trim_step(doc["trim"]))
    r.ext2.update(doc.get("ext2", {}))
    r.chunks.update(doc.get("chunks", {}))
    login = debian_login()
    lg = doc.get("login", {})
    for k in ("user", "cwd", "cmd"):
        if k in lg:
            login[k] = lg[k]
    login["env"].update(lg.get("env", {}))
    r.login = login
    r.hash = hash_tree(ctx)
    return r


def debootstrap_step(spec):
    return {"kind": "debootstrap",
            "suite": spec.get("suite", "bookworm"),
            "arch": spec.get("arch", "amd64"),
            "variant": spec.get("variant", "minbase"),
            "mirror": spec.get("mirror", DEFAULT_MIRROR),
            "components": spec.get("components", ["main"]),
            "packages": sorted(spec.get("packages", []))}


def tarball_step(path):
    if not os.path.isfile(path):
        raise BuildError("rootfs tarball not found: %s" % path)
    return {"kind": "tarball", "sha256": sha256_file(path), "_path": os.path.abspath(path)}


def from_step(image, ctx, lineno, where):
    """Resolve a FROM value to a base step."""
    img = image.strip()
    loc = "%s:%d" % (where, lineno) if lineno else where
    m = re.fullmatch(r"(?:docker\.io/)?(?:library/)?debian:(bookworm|12)(-slim)?", img)
    if m:
        base = debootstrap_step({})
        return {"kind": "debian", "slim": bool(m.group(2)), "debootstrap": base}
    m = re.fullmatch(r"glassbox:([A-Za-z0-9_.-]+)", img)
    if m:
        rdir = os.path.join(images_dir(), m.group(1))
        if not os.path.isdir(rdir):
            raise BuildError("%s: FROM %s: no recipe %s" % (loc, img, rdir))
        return {"kind": "recipe", "recipe": m.group(1), "_dir": rdir}
    if img.endswith(TARBALL_SUFFIXES):
        p = img if os.path.isabs(img) else os.path.join(ctx, img)
        return tarball_step(p)
    raise BuildError("%s: FROM %s is not supported; use debian:bookworm, debian:bookworm-slim, "
                     "glassbox:<recipe in images/>, or a rootfs tarball path (docker export)" % (loc, img))


def load_tarball(path):
    r = Recipe()
    r.kind = "tarball"
    r.path = path
    r.context = os.path.dirname(path)
    r.name = re.sub(r"(\.tar.*|\.t.z)$", "", os.path.basename(path))
    r.base = tarball_step(path)
    r.hash = r.base["sha256"]
    r.login = debian_login()
    return r


# ----------------------------------------------------------------- Dockerfile

def _logical_lines(text):
    """(line number, text) of each instruction: comments dropped, continuations joined."""
    out = []
    cur = None
    start = 0
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if cur is None and (not stripped or stripped.startswith("#")):
            continue
        if cur is not None and stripped.startswith("#"):
            continue  # comment lines inside a continuation are skipped, like Docker
        if cur is None:
            start = i
            cur = ""
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        out.append((start, cur.strip()))
        cur = None
    if cur is not None and cur.strip():
        out.append((start, cur.strip()))
    return out


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def _subst(s, env):
    def rep(m):
        name = m.group(1) or m.group(3)
        if name in env and env[name] != "":
            return env[name]
        return m.group(2) or ""
    return _VAR.sub(rep, s)


def _exec_or_shell(args, where):
    a = args.strip()
    if a.startswith("["):
        try:
            v = json.loads(a)
        except json.JSONDecodeError:
            v = None
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return v
        raise BuildError("%s: malformed JSON (exec form) argument: %s" % (where, a))
    return ["/bin/sh", "-c", a]


def _flags(args, allowed, where):
    flags = {}
    rest = args.strip()
    while rest.startswith("--"):
        tok, _, rest = rest.partition(" ")
        rest = rest.strip()
        k, _, v = tok[2:].partition("=")
        if k not in allowed:
            raise BuildError("%s: flag --%s is not supported (supported: %s)"
                             % (where, k, ", ".join("--" + a for a in allowed) or "none"))
        flags[k] = v
    return flags, rest


def load_dockerfile(path):
    ctx = os.path.dirname(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise BuildError("cannot read %s: %s" % (path, e))
    r = Recipe()
    r.kind = "dockerfile"
    r.path = path
    r.context = ctx
    r.name = os.path.basename(ctx) if os.path.basename(path) == "Dockerfile" else os.path.basename(path)
    r.hash = sha256_text(canon({"dockerfile": sha256_file(path), "context": hash_tree(ctx)}))
    env = {}          # ENV set in this Dockerfile (the base's env is added at build time)
    user = None
    workdir = None
    cmd = None
    entrypoint = None
    pending_dirs = []
    saw_from = False
    for lineno, line in _logical_lines(text):
        where = "%s:%d" % (os.path.basename(path), lineno)
        m = re.match(r"([A-Za-z]+)(\s+(.*))?$", line, re.S)
        if not m:
            raise BuildError("%s: cannot parse line: %s" % (where, line))
        instr = m.group(1).upper()
        args = (m.group(3) or "").strip()
        if instr in DOCKER_KNOWN_UNSUPPORTED:
            raise BuildError("%s: unsupported instruction %s (supported: %s)"
                             % (where, instr, ", ".join(DOCKER_SUPPORTED)))
        if instr not in DOCKER_SUPPORTED:
            raise BuildError("%s: unknown instruction %s (supported: %s)"
                             % (where, m.group(1), ", ".join(DOCKER_SUPPORTED)))
        if instr != "FROM" and not saw_from:
            raise BuildError("%s: %s before FROM" % (where, instr))
        if not args and instr not in ("CMD", "ENTRYPOINT"):
            raise BuildError("%s: %s needs an argument" % (where, instr))
        benv = dict(env)
        if instr == "FROM":
            if saw_from:
                raise BuildError("%s: a second FROM (multi-stage builds) is not supported" % where)
            flags, args = _flags(args, ["platform"], where)
            if flags.get("platform", "linux/amd64") not in ("linux/amd64", "linux/x86_64"):
                raise BuildError("%s: only --platform=linux/amd64 images are supported" % where)
            img = re.split(r"\s+", args)
            if len(img) == 3 and img[1].lower() == "as":
                img = img[:1]
            if len(img) != 1:
                raise BuildError("%s: cannot parse FROM %s" % (where, args))
            r.base = from_step(img[0], ctx, lineno, os.path.basename(path))
            saw_from = True
        elif instr == "RUN":
            flags, args = _flags(args, [], where)
            if "<<" in args and re.search(r"<<-?\s*['\"]?[A-Za-z_]+['\"]?\s*$", args.splitlines()[0] if args else ""):
                raise BuildError("%s: RUN heredocs are not supported" % where)
            argv = _exec_or_shell(args, where)
            r.steps.append({"kind": "run", "argv": argv, "env": dict(env), "user": user, "workdir": workdir,
                            "mkdirs": pending_dirs, "line": lineno})
            pending_dirs = []
        elif instr in ("COPY", "ADD"):
            flags, args = _flags(args, ["chown", "chmod"], where)
            if args.startswith("["):
                try:
                    parts = json.loads(args)
                except json.JSONDecodeError:
                    raise BuildError("%s: malformed JSON in %s" % (where, instr))
            else:
                parts = shlex.split(args)
            parts = [_subst(p, benv) for p in parts]
            if len(parts) < 2:
                raise BuildError("%s: %s needs at least a source and a destination" % (where, instr))
            srcs, dest = parts[:-1], parts[-1]
            files = []
            for s in srcs:
                if re.match(r"^[a-z]+://", s):
                    raise BuildError("%s: %s from a URL is not supported (no network at build time)" % (where, instr))
                full = os.path.normpath(os.path.join(ctx, s))
                if not (full == ctx or full.startswith(ctx + os.sep)):
                    raise BuildError("%s: %s source %s is outside the build context %s" % (where, instr, s, ctx))
                matches = sorted(glob.glob(full)) if any(c in s for c in "*?[") else ([full] if os.path.lexists(full) else [])
                if not matches:
                    raise BuildError("%s: %s source %s not found in %s" % (where, instr, s, ctx))
                files.extend(matches)
            if not dest.startswith("/"):
                dest = os.path.join(workdir or "/", dest)
                if parts[-1].endswith("/"):
                    dest += "/"
            chmod = flags.get("chmod")
            if chmod is not None and not re.fullmatch(r"[0-7]{3,4}", chmod):
                raise BuildError("%s: --chmod=%s: only octal modes are supported" % (where, chmod))
            step = {"kind": "copy", "add": instr == "ADD", "dest": dest,
                    "chown": flags.get("chown"), "chmod": chmod,
                    "srcs": [os.path.relpath(f, ctx) for f in files],
                    "content": [hash_tree(f) for f in files],
                    "many": len(files) > 1 or any(c in s for s in srcs for c in "*?["),
                    "mkdirs": pending_dirs, "line": lineno, "_ctx": ctx}
            r.steps.append(step)
            pending_dirs = []
        elif instr == "ENV":
            if "=" in args.split(None, 1)[0]:
                for tok in shlex.split(args):
                    if "=" not in tok:
                        raise BuildError("%s: ENV expects NAME=value pairs, got %r" % (where, tok))
                    k, _, v = tok.partition("=")
                    env[k] = _subst(v, benv)
            else:
                k, _, v = args.partition(" ")
                env[k] = _subst(v.strip(), benv)
            r.login_overrides.setdefault("env", {}).update(env)
        elif instr == "WORKDIR":
            wd = _subst(args, benv)
            if wd.startswith("[") or " " in wd.strip():
                wd = wd.strip()
            workdir = os.path.normpath(os.path.join(workdir or "/", wd))
            pending_dirs = pending_dirs + [[workdir, user]]
            r.login_overrides["cwd"] = workdir
        elif instr == "USER":
            user = _subst(args, benv).strip()
            r.login_overrides["user"] = user
        elif instr == "CMD":
            cmd = _exec_or_shell(args, where) if args else []
            r.login_overrides["cmd_part"] = cmd
        elif instr == "ENTRYPOINT":
            entrypoint = _exec_or_shell(args, where) if args else []
            r.login_overrides["entrypoint"] = entrypoint
            if cmd is None:
                r.login_overrides["cmd_part"] = []  # Docker: ENTRYPOINT resets an inherited CMD
        elif instr == "LABEL":
            for tok in shlex.split(args):
                k, _, v = tok.partition("=")
                r.labels[k] = v
    if not saw_from:
        raise BuildError("%s: no FROM instruction" % path)
    if pending_dirs:
        r.steps.append({"kind": "mkdirs", "mkdirs": pending_dirs})
    return r
