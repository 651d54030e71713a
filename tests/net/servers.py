#!/usr/bin/env python3
# tests/net/servers.py — the host side of the networking tests (tests/net/run.sh), all
# on 127.0.0.1: a static HTTP server (a file, a bare git repository for git's dumb HTTP
# protocol, a simple package index with a wheel built here), a UDP echo, a TCP discard
# sink, a "silent" listener whose accept queue is full (SYNs are dropped: a connect to it
# hangs), and a port nobody listens on. Writes the ports as JSON to argv[2] when ready.
import hashlib, base64, http.server, json, os, socket, socketserver, subprocess, sys, threading, zipfile

root, ports_file = sys.argv[1], sys.argv[2]
os.makedirs(root, exist_ok=True)
with open(os.path.join(root, "hello.txt"), "w") as f:
    f.write("hello from the host\n")

# a bare repository served as static files (git update-server-info)
work = os.path.join(root, "..", "repo-work")
env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
           GIT_CONFIG_NOSYSTEM="1", HOME=os.path.join(root, ".."))
def git(*a, cwd=None):
    subprocess.run(["git", *a], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
git("init", "-q", "-b", "main", work)
with open(os.path.join(work, "README"), "w") as f:
    f.write("cloned over dumb http\n")
git("add", "README", cwd=work)
git("commit", "-q", "-m", "first", cwd=work)
git("clone", "-q", "--bare", work, os.path.join(root, "repo.git"))
git("update-server-info", cwd=os.path.join(root, "repo.git"))

# a wheel and a PEP 503 simple index
files = {"tinypkg/__init__.py": b"GREETING = 'tinypkg works'\n",
         "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
         "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: glassbox-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = ""
for n, b in files.items():
    h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
    record += f"{n},sha256={h},{len(b)}\n"
record += "tinypkg-1.0.dist-info/RECORD,,\n"
whl = "tinypkg-1.0-py3-none-any.whl"
with zipfile.ZipFile(os.path.join(root, whl), "w") as z:
    for n, b in files.items():
        z.writestr(n, b)
    z.writestr("tinypkg-1.0.dist-info/RECORD", record)
os.makedirs(os.path.join(root, "simple", "tinypkg"), exist_ok=True)
with open(os.path.join(root, "simple", "index.html"), "w") as f:
    f.write('<html><body><a href="tinypkg/">tinypkg</a></body></html>\n')
with open(os.path.join(root, "simple", "tinypkg", "index.html"), "w") as f:
    f.write(f'<html><body><a href="../../{whl}">{whl}</a></body></html>\n')

class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def log_message(self, *a):
        pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256
httpd = Server(("127.0.0.1", 0), Quiet)
threading.Thread(target=httpd.serve_forever, daemon=True).start()

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
def echo():
    while True:
        d, a = udp.recvfrom(65536)
        udp.sendto(b"echo:" + d, a)
threading.Thread(target=echo, daemon=True).start()

sink = socket.socket()
sink.bind(("127.0.0.1", 0))
sink.listen(64)
def discard(c):
    while c.recv(1 << 16):
        pass
def sinks():
    while True:
        c, _ = sink.accept()
        threading.Thread(target=discard, args=(c,), daemon=True).start()
threading.Thread(target=sinks, daemon=True).start()

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(0)
fill = []
for _ in range(4):  # fill the accept queue; later SYNs are dropped
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(silent.getsockname())
    fill.append(c)

closed = socket.socket()
closed.bind(("127.0.0.1", 0))
closed_port = closed.getsockname()[1]
closed.close()

with open(ports_file + ".tmp", "w") as f:
    json.dump({"http": httpd.server_address[1], "udp": udp.getsockname()[1], "sink": sink.getsockname()[1],
               "silent": silent.getsockname()[1], "closed": closed_port}, f)
os.rename(ports_file + ".tmp", ports_file)
threading.Event().wait()
