// Connections nobody accepts (native: yes). Unix: a non-blocking connect past the
// listen backlog gets EAGAIN; TCP: the SYN is dropped, the connect stays in progress.
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>

int main(void) {
  // unix, abstract name
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un ua = {.sun_family = AF_UNIX};
  snprintf(ua.sun_path + 1, sizeof ua.sun_path - 1, "gb-hostile-backlog-%d", getpid());
  socklen_t ul = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ua.sun_path + 1);
  bind(l, (struct sockaddr*)&ua, ul);
  listen(l, 2);
  int n = 0;
  for (int i = 0; i < 1000; i++) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(c, (struct sockaddr*)&ua, ul) < 0) { printf("unix connect %d: %s\n", i, err_name(-1)); close(c); break; }
    n++;
  }
  printf("unix: %d connections queued with backlog 2\n", n);
  int a = accept(l, NULL, NULL);
  CHECK(a >= 0, "accept takes one");
  int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  SHOW(connect(c, (struct sockaddr*)&ua, ul));
  // TCP on loopback
  int t = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in ta = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(t, (struct sockaddr*)&ta, sizeof ta);
  socklen_t tl = sizeof ta;
  getsockname(t, (struct sockaddr*)&ta, &tl);
  listen(t, 4);
  int done = 0, pending = 0;
  int cs[64];
  for (int i = 0; i < 64; i++) {
    cs[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(cs[i], (struct sockaddr*)&ta, sizeof ta);
    if (r < 0 && errno != EINPROGRESS) { printf("tcp connect: %s\n", err_name(-1)); break; }
    struct pollfd p = {cs[i], POLLOUT, 0};
    if (poll(&p, 1, 20) == 1 && (p.revents & POLLOUT)) done++;
    else pending++;
  }
  printf("tcp: %d connected, %d in progress with backlog 4\n", done, pending);
  // accepting makes room: a pending connect completes
  int ta1 = accept(t, NULL, NULL);
  CHECK(ta1 >= 0, "tcp accept takes one");
  int later = 0;
  for (int k = 0; k < 150 && !later; k++)
    for (int i = done; i < 64 && !later; i++) {
      struct pollfd p = {cs[i], POLLOUT, 0};
      if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT)) later = 1;
      if (!later && i == 63) usleep(20000);
    }
  CHECK(later, "a pending connect completes once there is room");
  return finish();
}
