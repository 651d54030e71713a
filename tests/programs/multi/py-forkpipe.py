# os.pipe + fork + waitpid: exit status, a signal death, pipe EOF, wait order.
import os
import signal

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"from child %d\n" % 42)
    os._exit(7)
os.close(w)
data = b""
while True:
    chunk = os.read(r, 100)
    if not chunk:
        break
    data += chunk
os.close(r)
_, st = os.waitpid(pid, 0)
print(data, os.WIFEXITED(st), os.WEXITSTATUS(st))

pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGTERM)
    os._exit(0)
_, st = os.waitpid(pid, 0)
print("signaled", os.WIFSIGNALED(st), signal.Signals(os.WTERMSIG(st)).name)

# A bigger write than the pipe buffer: the writer blocks until the reader drains it.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    left = b"z" * 300000
    while left:
        n = os.write(w, left)
        left = left[n:]
    os._exit(0)
os.close(w)
total = 0
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    total += len(chunk)
print("read", total, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

pids = []
for i in range(3):
    p = os.fork()
    if p == 0:
        os._exit(10 + i)
    pids.append(p)
codes = sorted(os.waitstatus_to_exitcode(os.waitpid(-1, 0)[1]) for _ in pids)
print("codes", codes)
try:
    os.waitpid(-1, 0)
except ChildProcessError as e:
    print("ECHILD", e.errno)
print("ppid matches", os.getppid() != os.getpid())
