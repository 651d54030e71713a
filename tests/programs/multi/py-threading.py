# threading: several threads, a Lock, a Condition-backed Queue, join.
import queue
import threading

counter = 0
lock = threading.Lock()


def work(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1


threads = [threading.Thread(target=work, args=(2000,)) for _ in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("counter", counter, "alive", sum(t.is_alive() for t in threads))

q = queue.Queue()
results = []


def consumer():
    while True:
        item = q.get()
        if item is None:
            break
        results.append(item * item)


cs = [threading.Thread(target=consumer) for _ in range(3)]
for c in cs:
    c.start()
for i in range(50):
    q.put(i)
for _ in cs:
    q.put(None)
for c in cs:
    c.join()
print("squares", sum(results), len(results))

ev = threading.Event()
seen = []
t = threading.Thread(target=lambda: (ev.wait(), seen.append(threading.current_thread().name)), name="waiter")
t.start()
ev.set()
t.join(timeout=30)
print("event", seen, threading.active_count())
local = threading.local()
def setlocal(v, out):
    local.v = v
    out.append(local.v)
out = []
ts = [threading.Thread(target=setlocal, args=(i, out)) for i in range(4)]
[x.start() for x in ts]
[x.join() for x in ts]
print("local", sorted(out), hasattr(local, "v"))
