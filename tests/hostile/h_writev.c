// writev/write with guest-chosen sizes (native: yes). A length of 2^32-8 must not wrap
// (32-bit size_t in wasm), a bad pointer with 0x7ffff000 bytes must not allocate 2 GiB:
// Linux answers EFAULT or a short count, EINVAL for > 1024 vectors or a total past
// SSIZE_MAX.
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/socket.h>

int main(void) {
  int p[2];
  if (pipe2(p, O_NONBLOCK)) return 2;
  // a page of readable bytes followed by an inaccessible one
  // (low in the address space, so that m + 4 GiB is still user space)
  char* m = mmap((void*)0x200000000ul, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  memset(m, 'x', 4096);
  mprotect(m + 4096, 4096, PROT_NONE);
  char small[8] = "abcdefg";
  struct iovec v[2] = {{small, 8}, {m, 0xfffffff8ul}};
  errno = 0;
  long r = writev(p[1], v, 2);
  printf("writev 8 + (2^32-8 over one readable page): %s\n",
         r < 0 ? err_name(r) : (r >= 8 && r <= 8 + 4096) ? "short count within the readable bytes" : "too many");
  char buf[65536];
  while (read(p[0], buf, sizeof buf) > 0) {}
  SHOW(write(p[1], (void*)0x10000, 0x7ffff000));
  SHOW(write(p[1], m + 4096, 0x7ffff000));
  struct iovec bad[1] = {{(void*)0x10000, 0xfffffff8ul}};
  SHOW(writev(p[1], bad, 1));
  struct iovec neg[1] = {{small, (size_t)-1}};
  SHOW(writev(p[1], neg, 1));
  struct iovec over[2] = {{small, 0x7fffffffffffffff}, {small, 1}};
  SHOW(writev(p[1], over, 2));
  static struct iovec many[1025];
  for (int i = 0; i < 1025; i++) many[i] = (struct iovec){small, 1};
  SHOW(writev(p[1], many, 1025));
  SHOW(writev(p[1], many, 1024));
  while (read(p[0], buf, sizeof buf) > 0) {}
  SHOW(readv(p[0], over, 2));
  // a regular file: the count is clamped, nothing is allocated from it
  int f = open("/proc/self/exe", O_RDONLY);
  errno = 0;
  r = read(f, m, 0x7ffff000);
  printf("read(exe, one page, 0x7ffff000): %s\n", r < 0 ? err_name(r) : r == 4096 ? "4096 (to the fault)" : r > 0 ? "short" : "0");
  SHOW(pread(f, (void*)0x10000, 0x7ffff000, 0));
  // sockets: sendmsg with a wrapping vector, recv into a bad buffer
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  struct msghdr mh = {0};
  mh.msg_iov = v;
  mh.msg_iovlen = 2;
  errno = 0;
  r = sendmsg(sv[0], &mh, MSG_DONTWAIT);
  printf("sendmsg 8 + (2^32-8): %s\n", r < 0 ? err_name(r) : r <= 8 + 4096 ? "short count" : "too many");
  mh.msg_iov = over;
  SHOW(sendmsg(sv[0], &mh, 0));
  SHOW(send(sv[0], (void*)0x10000, 0x7ffff000, MSG_DONTWAIT));
  CHECK(1, "engine still running");
  return finish();
}
