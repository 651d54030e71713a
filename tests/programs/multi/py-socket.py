# sockets: a TCP echo server on 127.0.0.1 in a thread, a client; socketpair across fork.
import os
import socket
import threading

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
port = srv.getsockname()[1]


def serve():
    conn, addr = srv.accept()
    with conn:
        print("server: client from", addr[0])
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data.upper())


t = threading.Thread(target=serve)
t.start()
with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
    c.sendall(b"hello over tcp")
    c.shutdown(socket.SHUT_WR)
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    print("client got", buf)
t.join()
srv.close()

a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    a.close()
    msg = b.recv(100)
    b.sendall(b"child saw " + msg)
    os._exit(0)
b.close()
a.sendall(b"ping")
print(a.recv(100))
print("child status", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u1.bind(("127.0.0.1", 0))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.sendto(b"datagram", u1.getsockname())
print(u1.recvfrom(100)[0])
