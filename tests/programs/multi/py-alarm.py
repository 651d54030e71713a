# signals: signal.alarm with a handler, setitimer, a signal to oneself, blocking.
import os
import signal
import time

got = []


def on_alarm(signum, frame):
    got.append(signal.Signals(signum).name)
    raise TimeoutError("alarm")


signal.signal(signal.SIGALRM, on_alarm)
t0 = time.monotonic()
signal.alarm(1)
try:
    time.sleep(30)
except TimeoutError as e:
    print("sleep interrupted by", got, e)
print("elapsed ok", 0.5 < time.monotonic() - t0 < 10)

signal.signal(signal.SIGALRM, lambda s, f: got.append("itimer"))
signal.setitimer(signal.ITIMER_REAL, 0.2)
signal.pause()
print(got)

signal.signal(signal.SIGUSR1, lambda s, f: got.append("usr1"))
os.kill(os.getpid(), signal.SIGUSR1)
print(got[-1])
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.signal(signal.SIGUSR2, lambda s, f: got.append("usr2"))
os.kill(os.getpid(), signal.SIGUSR2)
print("pending", signal.sigpending() == {signal.SIGUSR2}, got[-1])
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2})
print(got[-1])
