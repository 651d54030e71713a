# tests/storage/guest_stress.py — runs INSIDE the guest (python3 of the default image) on
# the ext2 image through the engine's VFS. Two phases:
#   write:  creates, appends, renames, truncates, deletes thousands of files and
#           directories under /root/stress (seeded, reproducible) and prints a digest of
#           the resulting tree;
#   verify: prints the digest of the tree as it is now (a second engine run, after the
#           overlay was reopened: it must equal the digest the write phase printed).
import hashlib, os, random, shutil, sys

ROOT = "/root/stress"

def digest():
    h = hashlib.sha256()
    n = 0
    for d, dirs, files in os.walk(ROOT):
        dirs.sort()
        for f in sorted(files) + sorted(x for x in dirs):
            p = os.path.join(d, f)
            st = os.lstat(p)
            h.update(p.encode() + b"\0" + oct(st.st_mode).encode() + b"\0" + str(st.st_size).encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p):
                with open(p, "rb") as fh:
                    h.update(fh.read())
            n += 1
    return "%d entries %s" % (n, h.hexdigest())

def write(count):
    rnd = random.Random(1234)
    shutil.rmtree(ROOT, ignore_errors=True)
    os.mkdir(ROOT)
    dirs = [ROOT]
    files = []
    for i in range(count):
        op = rnd.random()
        if op < 0.10:
            d = os.path.join(rnd.choice(dirs), "d%05d" % i)
            os.mkdir(d)
            dirs.append(d)
        if op < 0.55 or len(files) < 10:
            p = os.path.join(rnd.choice(dirs), "f%05d.txt" % i)
            with open(p, "wb") as fh:
                size = rnd.choice([0, 10, 700, 5000, 70000])
                fh.write(((b"%05d:" % i) * (size // 6 + 1))[:size])
            files.append(p)
        elif op < 0.70:
            p = rnd.choice(files)
            with open(p, "ab") as fh:
                fh.write(b"appended %d\n" % i * rnd.randint(1, 400))
        elif op < 0.80:
            p = rnd.choice(files)
            q = os.path.join(rnd.choice(dirs), "r%05d.bin" % i)
            os.rename(p, q)
            files[files.index(p)] = q
        elif op < 0.88:
            p = rnd.choice(files)
            os.truncate(p, rnd.choice([0, 1, 100, 4096, 5000]))
        elif op < 0.95:
            p = rnd.choice(files)
            os.unlink(p)
            files.remove(p)
        else:
            p = rnd.choice(files)
            os.symlink(p, os.path.join(rnd.choice(dirs), "l%05d" % i))
    # remove a whole subtree too
    victim = dirs[len(dirs) // 2]
    if victim != ROOT:
        shutil.rmtree(victim)
    print(digest())

if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(int(sys.argv[2]))
    else:
        print(digest())
