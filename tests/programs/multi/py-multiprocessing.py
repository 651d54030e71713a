# multiprocessing with the fork start method: a Pool map, a Process with a Queue.
import multiprocessing as mp


def square(x):
    return x * x


def child(q, n):
    q.put(sum(range(n)))


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    with ctx.Pool(3) as pool:
        print(pool.map(square, range(20)))
        print(sorted(pool.imap_unordered(square, range(5))))
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q, 1000))
    p.start()
    print("queue", q.get(timeout=60))
    p.join()
    print("exitcode", p.exitcode)
    p = ctx.Process(target=lambda: __import__("os")._exit(3))
    p.start()
    p.join()
    print("exitcode", p.exitcode)
