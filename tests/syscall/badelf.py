#!/usr/bin/env python3
"""tests/syscall/badelf.py — malformed executables must fail cleanly in the engine.

    badelf.py HOST_DIR GUEST_DIR GOOD_ELF ENGINE...

Writes broken variants of GOOD_ELF (a static x86-64 executable) into HOST_DIR (seen by
the guest as GUEST_DIR) and runs each under ENGINE. Each run must end with a normal exit
of the engine process (never a host signal: no crash), and the hand-made ones must be
refused with status 126 and an "exec format error"-style message. A seeded mutation
loop then flips bytes in the ELF and program headers: any guest outcome is acceptable
(the guest may even run), a crash or hang of the engine is not.
Prints "ok ..." / "FAIL ..." lines and ends with "N passed, N failed".
"""
import os
import random
import struct
import subprocess
import sys


def main():
    host_dir, guest_dir, good, engine = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    data = open(good, "rb").read()
    passed = failed = 0

    def run(name, blob, expect_refused):
        nonlocal passed, failed
        path = os.path.join(host_dir, name)
        with open(path, "wb") as f:
            f.write(blob)
        os.chmod(path, 0o755)
        try:
            p = subprocess.run(engine + [os.path.join(guest_dir, name)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=20)
        except subprocess.TimeoutExpired:
            # A mutated program may run and loop; a refused one must not take this long.
            if expect_refused:
                failed += 1
                print(f"FAIL badelf {name}: engine hung")
            else:
                passed += 1
            return
        err = p.stderr.decode(errors="replace")
        if p.returncode < 0:
            failed += 1
            print(f"FAIL badelf {name}: engine crashed with host signal {-p.returncode}: {err[:200]}")
        elif expect_refused and p.returncode != 126:
            failed += 1
            print(f"FAIL badelf {name}: status {p.returncode}, expected 126: {err[:200]}")
        else:
            passed += 1
            if expect_refused:
                print(f"ok   badelf {name}: {err.strip().splitlines()[-1] if err.strip() else '(no message)'}")

    eh = bytearray(data[:64])
    phoff = struct.unpack_from("<Q", eh, 32)[0]
    phnum = struct.unpack_from("<H", eh, 56)[0]

    def patched(off, fmt, val, base=data):
        b = bytearray(base)
        struct.pack_into(fmt, b, off, val)
        return bytes(b)

    cases = {
        "empty": b"",
        "short": data[:20],
        "class32": patched(4, "<B", 1),
        "bigendian": patched(5, "<B", 2),
        "machine_arm": patched(18, "<H", 183),
        "type_core": patched(16, "<H", 4),
        "phentsize": patched(54, "<H", 32),
        "phnum_zero": patched(56, "<H", 0),
        "phoff_outside": patched(32, "<Q", len(data) + 4096),
        "phoff_huge": patched(32, "<Q", 0xFFFFFFFFFFFFFF00),
        "truncated_half": data[: len(data) // 2],
        "text_not_elf": b"just some text\n",
    }
    # a PT_LOAD whose file range runs past the end of the file
    for i in range(phnum):
        o = phoff + 56 * i
        if struct.unpack_from("<I", data, o)[0] == 1:
            cases["load_filesz_huge"] = patched(o + 32, "<Q", 1 << 40)
            cases["load_memsz_lt_filesz"] = patched(o + 40, "<Q", 0)
            cases["load_vaddr_kernel"] = patched(o + 16, "<Q", 0xFFFF800000000000)
            break
    for name, blob in cases.items():
        run(name, blob, True)

    rng = random.Random(1234)
    n = int(os.environ.get("BADELF_MUTATIONS", "40"))
    hdr_end = min(len(data), phoff + 56 * phnum)
    for k in range(n):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(0, hdr_end)
            b[pos] = rng.randrange(256)
        run(f"mut{k}", bytes(b), False)
    print(f"ok   badelf: {n} mutations, no engine crash" if failed == 0 else f"FAIL badelf mutations")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
