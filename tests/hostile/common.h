// tests/hostile/common.h — helpers for the hostile programs. Each program prints only
// deterministic facts (Linux's answers) and ends with "ok" when every check held.
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
// CHECK(cond, "what"): prints "what: yes/no" (a fact both Linux and the engine print).
#define CHECK(cond, what)                         \
  do {                                            \
    int c_ = (cond);                              \
    printf("%s: %s\n", what, c_ ? "yes" : "no");  \
    if (!c_) failures++;                          \
  } while (0)
// The errno name of a failed call, or "ok" (or the value) on success.
static const char* err_name(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
    case EFAULT: return "EFAULT"; case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN"; case ELOOP: return "ELOOP"; case EMFILE: return "EMFILE";
    case E2BIG: return "E2BIG"; case ENOSPC: return "ENOSPC"; case EBADF: return "EBADF";
    case ENOBUFS: return "ENOBUFS"; case ECONNREFUSED: return "ECONNREFUSED"; case EINPROGRESS: return "EINPROGRESS";
    case ETOOMANYREFS: return "ETOOMANYREFS"; case EPERM: return "EPERM"; case ENFILE: return "ENFILE";
    case EMSGSIZE: return "EMSGSIZE"; case ENOSYS: return "ENOSYS"; case EBUSY: return "EBUSY";
    default: { static char b[32]; snprintf(b, sizeof b, "errno %d", errno); return b; }
  }
}
#define SHOW(expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %s\n", #expr, err_name(r_)); } while (0)
static int finish(void) {
  printf("%s\n", failures ? "FAILED" : "ok");
  fflush(stdout);
  return failures ? 1 : 0;
}
