// engine-args: --mem-limit 512M
// engine-stderr: Out of memory: killed process
// A guest that touches more memory than the machine has (native: no: documented
// answer). Run with --mem-limit 512M: a process filling memory is killed with SIGKILL
// by the OOM killer ("Out of memory: killed process N (name)" on the terminal); its
// parent sees the SIGKILL and goes on; the engine never aborts.
#include "common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
  // one request larger than the machine: ENOMEM at mmap time
  void* p = mmap(NULL, 6ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 6 GiB: %s\n", p == MAP_FAILED ? err_name(-1) : "mapped");
  pid_t c = fork();
  if (c == 0) {
    // many mappings that each fit, touched until there is no memory left
    for (;;) {
      char* q = mmap(NULL, 64ul << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (q == MAP_FAILED) _exit(3);
      for (size_t i = 0; i < (64ul << 20); i += 4096) q[i] = 1;
    }
  }
  int st = 0;
  waitpid(c, &st, 0);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the memory hog was killed with SIGKILL");
  // memory is back: the parent can use some
  char* r = malloc(64 << 20);
  CHECK(r != NULL, "malloc after the kill");
  if (r) memset(r, 2, 64 << 20);
  // a second hog with malloc: three requests that each fit; the largest process (the
  // child) dies again, not the parent holding 64 MiB
  c = fork();
  if (c == 0) {
    for (int i = 0; i < 3; i++) {
      char* q = malloc(300ul << 20);
      if (!q) _exit(4);
      memset(q, 3, 300ul << 20);
    }
    _exit(0);
  }
  waitpid(c, &st, 0);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the second hog was killed too");
  return finish();
}
