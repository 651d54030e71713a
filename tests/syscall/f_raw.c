// tests/syscall/f_raw.c — a program without libc (raw syscalls, integer instructions
// only): checks the initial stack (argc, argv, envp, auxv) and a few syscalls with no
// library in between. Compiled with -nostdlib -static; also the seed for badelf.py.
typedef unsigned long u64;
typedef long i64;

static i64 sys3(i64 n, i64 a, i64 b, i64 c) {
  i64 r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
static i64 slen(const char* s) { i64 n = 0; while (s[n]) n++; return n; }
static void out(const char* s) { sys3(1, 1, (i64)s, slen(s)); }
static void outn(u64 v) {
  char b[24];
  int i = 23;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  out(b + i);
}
static void line(const char* k, u64 v) { out(k); out(" "); outn(v); out("\n"); }

void start_c(u64* sp) {
  const u64 argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  u64 envc = 0;
  while (envp[envc]) envc++;
  u64* aux = (u64*)(envp + envc + 1);
  line("argc", argc);
  for (u64 i = 0; i < argc; i++) { out("argv "); out(argv[i]); out("\n"); }
  line("sp aligned 16", ((u64)sp & 15) == 0);
  u64 pagesz = 0, phent = 0, random = 0, execfn = 0, platform = 0, entry = 0, secure = 9, clktck = 0;
  for (u64* a = aux; a[0]; a += 2) {
    switch (a[0]) {
      case 6: pagesz = a[1]; break;
      case 4: phent = a[1]; break;
      case 25: random = a[1]; break;
      case 31: execfn = a[1]; break;
      case 15: platform = a[1]; break;
      case 9: entry = a[1]; break;
      case 23: secure = a[1]; break;
      case 17: clktck = a[1]; break;
    }
  }
  line("AT_PAGESZ", pagesz);
  line("AT_PHENT", phent);
  line("AT_SECURE", secure);
  line("AT_CLKTCK", clktck);
  line("AT_RANDOM present", random != 0);
  line("AT_ENTRY present", entry != 0);
  if (execfn) { out("AT_EXECFN "); out((const char*)execfn); out("\n"); }
  if (platform) { out("AT_PLATFORM "); out((const char*)platform); out("\n"); }
  char cwd[256];
  i64 n = sys3(79, (i64)cwd, sizeof cwd, 0);
  line("getcwd ok", n > 1);
  line("write to bad pointer is EFAULT", sys3(1, 1, 16, 4) == -14);
  sys3(231, (i64)(argc + 40), 0, 0);
}

__asm__(".globl _start\n_start:\n  mov %rsp, %rdi\n  call start_c\n  hlt\n");
