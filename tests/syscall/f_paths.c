// tests/syscall/f_paths.c — a libc-free probe for path resolution: for each argument,
// prints "PATH: stat=R open=R" (0 or -errno) and, if it opens, the first line of the
// file. Used by run.sh to check that no path, symlink or ".." leaves the guest root.
typedef long i64;

static i64 sys4(i64 n, i64 a, i64 b, i64 c, i64 d) {
  register i64 r10 __asm__("r10") = d;
  i64 r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}
static i64 slen(const char* s) { i64 n = 0; while (s[n]) n++; return n; }
static void out(const char* s) { sys4(1, 1, (i64)s, slen(s), 0); }
static void outi(i64 v) {
  char b[24];
  int i = 23;
  b[i] = 0;
  const int neg = v < 0;
  unsigned long u = neg ? (unsigned long)-v : (unsigned long)v;
  do { b[--i] = (char)('0' + u % 10); u /= 10; } while (u);
  if (neg) b[--i] = '-';
  out(b + i);
}

void start_c(i64* sp) {
  char** argv = (char**)(sp + 1);
  char st[144];
  for (i64 i = 1; i < sp[0]; i++) {
    out(argv[i]);
    out(": stat=");
    outi(sys4(4, (i64)argv[i], (i64)st, 0, 0));
    const i64 fd = sys4(257, -100, (i64)argv[i], 0, 0);
    out(" open=");
    outi(fd < 0 ? fd : 0);
    if (fd >= 0) {
      char buf[128];
      i64 n = sys4(0, fd, (i64)buf, sizeof buf - 1, 0);
      i64 k = 0;
      while (k < n && buf[k] != '\n') k++;
      buf[k] = 0;
      out(" first-line=");
      out(n > 0 ? buf : "");
      sys4(3, fd, 0, 0, 0);
    }
    out("\n");
  }
  char cwd[256];
  sys4(80, (i64)"/../../..", 0, 0, 0);  // chdir
  const i64 n = sys4(79, (i64)cwd, sizeof cwd, 0, 0);
  out("cwd after chdir(/../../..): ");
  out(n > 0 ? cwd : "?");
  out("\n");
  sys4(231, 0, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n  mov %rsp, %rdi\n  call start_c\n  hlt\n");
