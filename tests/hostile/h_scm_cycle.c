// Unix sockets sent over themselves and closed (native: yes): unreachable cycles of
// descriptors in flight. Linux collects them (unix_gc); memory must stay bounded.
#include "common.h"
#include <sys/socket.h>

static int send_fds(int s, int* fds, int n) {
  char c = 'x';
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int) * 4)];
  memset(ctl, 0, sizeof ctl);
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
  struct cmsghdr* h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(h), fds, sizeof(int) * n);
  return sendmsg(s, &m, 0) == 1 ? 0 : -1;
}

int main(void) {
  int ok = 0, bad = 0;
  for (int i = 0; i < 20000; i++) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { bad++; break; }
    // each end in the other's queue: a cycle once both are closed
    if (send_fds(sv[0], &sv[0], 1) || send_fds(sv[1], &sv[1], 1)) bad++;
    else ok++;
    close(sv[0]);
    close(sv[1]);
  }
  printf("cycles made: %d, refused: %d\n", ok, bad);
  // a live socket in flight is not garbage: it still works
  int a[2], b[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, a);
  socketpair(AF_UNIX, SOCK_STREAM, 0, b);
  send_fds(a[0], &b[0], 1);
  close(b[0]);
  for (int i = 0; i < 200; i++) {  // enough passes for a collection
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    send_fds(sv[0], &sv[0], 1);
    close(sv[0]);
    close(sv[1]);
  }
  char c;
  char ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&c, 1};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  CHECK(recvmsg(a[1], &m, 0) == 1, "the live socket's message arrives");
  int got = -1;
  memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof got);
  CHECK(write(got, "hi", 2) == 2, "the socket it carried still works");
  char r[2];
  CHECK(read(b[1], r, 2) == 2 && r[0] == 'h', "its peer reads it");
  return finish();
}
