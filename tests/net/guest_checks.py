# tests/net/guest_checks.py — runs INSIDE the machine (tests/net/run.sh feeds it on stdin:
# python3 - MODE ARGS...). Prints "ok NAME" or "FAIL NAME: detail" per check.
import errno, os, socket, sys, time

mode, args = sys.argv[1], sys.argv[2:]

def report(name, good, detail=""):
    print(("ok " if good else "FAIL ") + name + ("" if good else ": " + detail), flush=True)

def connect_errno(host, port, timeout=None):
    s = socket.socket()
    if timeout:
        s.settimeout(timeout)
    try:
        s.connect((host, port))
        return 0
    except OSError as e:
        return e.errno
    finally:
        s.close()

if mode == "basic":  # args: http udp closed silent
    http, udp, closed, silent = map(int, args)
    import urllib.request
    body = urllib.request.urlopen(f"http://web.test:{http}/hello.txt", timeout=30).read()
    report("python urllib by name", body == b"hello from the host\n", repr(body))
    addr = socket.getaddrinfo("web.test", http, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    report("getaddrinfo gives a fake address", addr.startswith("198.1"), addr)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(10)
    u.sendto(b"ping", ("web.test", udp))
    d, frm = u.recvfrom(100)
    report("UDP echo", d == b"echo:ping" and frm[1] == udp, repr((d, frm)))
    e = connect_errno("web.test", closed)
    report("refused -> ECONNREFUSED", e == errno.ECONNREFUSED, errno.errorcode.get(e, str(e)))
    if silent:
        t = time.time()
        e = connect_errno("web.test", silent)
        report("silent -> ETIMEDOUT", e == errno.ETIMEDOUT, errno.errorcode.get(e, str(e)) + f" after {time.time()-t:.1f}s")
    # non-blocking connect: EINPROGRESS, then writable, SO_ERROR 0
    import select
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex(("web.test", http))
    _, w, _ = select.select([], [s], [], 10)
    report("non-blocking connect", e == errno.EINPROGRESS and w and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, str(e))
    s.close()
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        report("ping socket -> EACCES", False, "created")
    except OSError as x:
        report("ping socket -> EACCES", x.errno == errno.EACCES, str(x))
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        report("raw socket -> EPERM", False, "created")
    except OSError as x:
        report("raw socket -> EPERM", x.errno == errno.EPERM, str(x))

elif mode == "blocked":  # args: http
    http = int(args[0])
    for host, port in [("web.test", http), ("10.1.2.3", 80), ("192.168.1.1", 80), ("169.254.169.254", 80)]:
        e = connect_errno(host, port)
        report(f"policy refuses {host} -> EACCES", e == errno.EACCES, errno.errorcode.get(e, str(e)))

elif mode == "many":  # args: http count relay_limit — thousands of connections, bounded
    http, count, limit = int(args[0]), int(args[1]), int(args[2])
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 64), hard))
    count = min(count, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64)
    socks, errs = [], {}
    for i in range(count):
        s = socket.socket()
        s.setblocking(False)
        e = s.connect_ex(("web.test", http))
        if e in (0, errno.EINPROGRESS):
            socks.append(s)
        else:
            errs[e] = errs.get(e, 0) + 1
            s.close()
    time.sleep(3)
    opened, later = 0, {}
    for s in socks:
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            later[e] = later.get(e, 0) + 1
            continue
        try:
            s.getpeername()
            opened += 1
        except OSError:
            pass
    name = lambda d: {errno.errorcode.get(k, k): v for k, v in d.items()}
    print(f"many: {count} connects: {opened} open, at connect {name(errs)}, later {name(later)}", flush=True)
    report("thousands of connects are bounded (engine 512 streams, relay --max-streams)",
           opened <= limit and (errs.get(errno.EADDRNOTAVAIL, 0) + later.get(errno.ENOBUFS, 0)) > 0,
           f"{opened} open, {name(errs)}, {name(later)}")
    for s in socks:
        s.close()

elif mode == "flood":  # args: sink_port mbytes — write until the relay's byte limit stops us
    port, mb = int(args[0]), int(args[1])
    s = socket.create_connection(("sink.test", port))
    chunk, sent, err = b"x" * 65536, 0, None
    try:
        while sent < mb << 20:
            sent += s.send(chunk)
    except OSError as x:
        err = x.errno
    print(f"flood: {sent >> 20} MiB written, then {errno.errorcode.get(err, err)}", flush=True)
    report("a flood is cut by the relay's byte limit", err is not None and sent < mb << 20, f"sent {sent}")
