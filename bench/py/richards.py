# bench/py/richards.py — a task scheduler in the manner of Richards' benchmark (written
# for this project, not a port): an idle task, workers and devices pass packets through
# a priority scheduler with wait/hold states; prints the counts it reached.
import sys


class Packet:
    __slots__ = ("link", "kind", "datum", "data")

    def __init__(self, kind):
        self.link = None
        self.kind = kind
        self.datum = 0
        self.data = [0] * 4


class Task:
    __slots__ = ("prio", "queue", "held", "waiting", "count", "fn", "state")

    def __init__(self, prio, fn):
        self.prio, self.fn = prio, fn
        self.queue = []
        self.held = self.waiting = False
        self.count = 0
        self.state = 0

    def runnable(self):
        return not self.held and (not self.waiting or self.queue)


class Scheduler:
    def __init__(self):
        self.tasks = []
        self.holds = 0

    def add(self, t):
        self.tasks.append(t)
        self.tasks.sort(key=lambda x: -x.prio)

    def send(self, t, pkt):
        t.queue.append(pkt)
        t.waiting = False

    def run(self, limit):
        steps = 0
        while steps < limit:
            for t in self.tasks:
                if t.runnable():
                    pkt = t.queue.pop(0) if t.queue else None
                    t.count += 1
                    t.fn(self, t, pkt)
                    break
            else:
                return steps
            steps += 1
        return steps


def idle(s, t, pkt):
    t.state = (t.state * 1103515245 + 12345) & 0x7fffffff
    s.tasks[t.state & 1].held = False  # release a worker, maybe hold the other
    if t.state & 4:
        s.tasks[1 - (t.state & 1)].held = True
        s.holds += 1


def worker(s, t, pkt):
    if pkt is None:
        pkt = Packet(t.prio)
    for i in range(4):
        t.state = (t.state + 1) % 26
        pkt.data[i] = 65 + t.state
    pkt.datum = (pkt.datum + sum(pkt.data)) & 0xffff
    dev = s.tasks[2 + (t.state & 1)]
    s.send(dev, pkt)
    t.waiting = True


def device(s, t, pkt):
    if pkt is not None:
        t.state = (t.state + pkt.datum) & 0xffff
        back = s.tasks[0 if pkt.kind == 5 else 1]
        s.send(back, pkt)
    else:
        t.waiting = True


n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
s = Scheduler()
idle_t = Task(0, idle)
for t in (Task(5, worker), Task(4, worker), Task(3, device), Task(2, device), idle_t):
    s.add(t)
idle_t.held = False
steps = s.run(n)
print(steps, s.holds, [t.count for t in s.tasks], [t.state for t in s.tasks])
