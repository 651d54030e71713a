#!/usr/bin/python3
"""strace -f -e trace=%file output (of a program run in a chroot of the image's rootfs)
-> the file accesses storage_tool measure replays against the image:
    exec PATH | open PATH | dir PATH | stat PATH
Usage: trace_to_list.py TRACE CWD > LIST   (CWD: the directory relative paths start from)"""
import re
import sys

LINE = re.compile(r'^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)')
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def norm(p, cwd):
    if not p.startswith("/"):
        p = cwd.rstrip("/") + "/" + p
    return p


def main():
    trace, cwd = sys.argv[1], sys.argv[2]
    started = False
    out = []
    for line in open(trace, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        pid, call, args, ret = m.groups()
        if call == "chroot":
            started = True
            continue
        if not started:
            continue
        s = STR.search(args)
        if not s:
            continue
        path = s.group(1)
        if call in ("openat", "open") and args.startswith("AT_FDCWD") is False and call == "openat":
            continue  # relative to some other directory fd: not needed for these traces
        path = norm(path, cwd)
        if any(path == d or path.startswith(d + "/") for d in ("/tmp", "/proc", "/dev", "/sys")) or path.startswith("./"):
            continue
        ok = ret not in ("?",) and int(ret) >= 0
        if call == "execve":
            out.append(("exec" if ok else "stat", path))
        elif call in ("openat", "open"):
            if not ok:
                out.append(("stat", path))
            elif "O_DIRECTORY" in args:
                out.append(("dir", path))
            elif "O_WRONLY" in args or "O_RDWR" in args or "O_CREAT" in args:
                continue
            else:
                out.append(("open", path))
        else:
            out.append(("stat", path))
    for op, p in out:
        print(op, p)


if __name__ == "__main__":
    main()
