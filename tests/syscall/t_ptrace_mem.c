// tests/syscall/t_ptrace_mem.c — what a debugger reads besides ptrace: /proc/PID/mem
// (read, write, forced write into code that already ran, unmapped ranges), the tracer in
// /proc/PID/status, /proc/PID/auxv against getauxval, process_vm_readv/writev (and their
// errors), and a tracer that exits first with and without PTRACE_O_EXITKILL.
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

volatile long word = 1111;

__attribute__((noinline)) int answer(void) {
  __asm__ volatile("");
  return 1;
}

static void show_status(const char* what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", what, WTERMSIG(st));
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d\n", what, WSTOPSIG(st));
  fflush(stdout);
}

static void proc_line(pid_t pid, const char* file, const char* key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  FILE* f = fopen(path, "r");
  if (!f) { printf("%s: cannot open\n", file); return; }
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, strlen(key)) == 0) {
      char* v = line + strlen(key);
      while (*v == '\t' || *v == ' ') v++;
      if (strcmp(key, "TracerPid:") == 0) printf("%s %s\n", key, atoi(v) == getpid() ? "is me" : atoi(v) ? "other" : "0");
      else printf("%s %s", key, v);
    }
  fclose(f);
}

static void test_mem(void) {
  unsigned char* two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + 4096, 4096);  // one mapped page, then a hole
  memset(two, 'x', 4096);
  pid_t c = fork();
  if (c == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    printf("child: answer %d word %ld\n", answer(), word);
    raise(SIGSTOP);
    printf("child: answer %d word %ld page %c\n", answer(), word, two[100]);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  show_status("child", st);
  proc_line(c, "status", "State:");
  proc_line(c, "status", "TracerPid:");
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", c);
  int fd = open(path, O_RDWR);
  CHECK(fd >= 0);
  long v = 0;
  SHOW(pread(fd, &v, sizeof v, (off_t)(uintptr_t)&word));
  printf("word read %ld\n", v);
  v = 2222;
  SHOW(pwrite(fd, &v, sizeof v, (off_t)(uintptr_t)&word));
  static const unsigned char ret42[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
  SHOW(pwrite(fd, ret42, sizeof ret42, (off_t)(uintptr_t)answer));  // read-only text: forced
  SHOW(pwrite(fd, "y", 1, (off_t)(uintptr_t)(two + 100)));
  char buf[64];
  SHOW(pread(fd, buf, sizeof buf, (off_t)(uintptr_t)(two + 4096)));        // the hole: EIO
  SHOW(pread(fd, buf, sizeof buf, (off_t)(uintptr_t)(two + 4096 - 10)));   // short read
  SHOW(pread(fd, buf, 8, 4096));                                             // page 1: unmapped
  // process_vm_readv / writev
  long r = 0;
  struct iovec l = {&r, sizeof r}, rem = {(void*)&word, sizeof word};
  SHOW(process_vm_readv(c, &l, 1, &rem, 1, 0));
  printf("process_vm_readv word %ld\n", r);
  r = 3333;
  SHOW(process_vm_writev(c, &l, 1, &rem, 1, 0));
  struct iovec text = {(void*)answer, 8};
  SHOW(process_vm_writev(c, &l, 1, &text, 1, 0));  // not forced: EFAULT
  SHOW(process_vm_readv(c, &l, 1, &rem, 1, 1));    // flags: EINVAL
  SHOW(process_vm_readv(999999, &l, 1, &rem, 1, 0));
  struct iovec hole = {two + 4096 - 4, 8};
  SHOW(process_vm_readv(c, &l, 1, &hole, 1, 0));  // partial: 4
  close(fd);
  ptrace(PTRACE_CONT, c, 0, 0);
  waitpid(c, &st, 0);
  show_status("child", st);
  // /proc/self/mem
  fd = open("/proc/self/mem", O_RDONLY);
  v = 0;
  SHOW(pread(fd, &v, sizeof v, (off_t)(uintptr_t)&word));
  printf("self word %ld\n", v);
  close(fd);
}

static void test_auxv(void) {
  int fd = open("/proc/self/auxv", O_RDONLY);
  unsigned long a[256];
  long n = read(fd, a, sizeof a);
  close(fd);
  CHECK(n > 0 && n % 16 == 0);
  int found = 0, same = 0;
  for (long i = 0; i + 1 < n / 8; i += 2) {
    unsigned long t = a[i];
    if (t == AT_PAGESZ || t == AT_ENTRY || t == AT_PHDR || t == AT_UID || t == AT_RANDOM || t == AT_EXECFN) {
      found++;
      same += getauxval(t) == a[i + 1];
    }
    if (t == AT_NULL) { printf("auxv ends with AT_NULL at the end: %d\n", i + 2 == n / 8); break; }
  }
  printf("auxv entries checked %d, equal %d\n", found, same);
}

// A tracer (the middle process) exits while its tracee is stopped.
static void test_tracer_exits(int exitkill) {
  int pfd[2];
  pipe(pfd);
  pid_t mid = fork();
  if (mid == 0) {
    pid_t c = fork();
    if (c == 0) {
      close(pfd[0]);
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      raise(SIGSTOP);
      write(pfd[1], "alive", 5);
      _exit(0);
    }
    close(pfd[1]);
    int st;
    waitpid(c, &st, 0);
    if (exitkill) ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_EXITKILL);
    _exit(0);  // the tracer goes, its tracee still stopped
  }
  close(pfd[1]);
  int st;
  waitpid(mid, &st, 0);
  char buf[16] = {0};
  long n = read(pfd[0], buf, sizeof buf - 1);
  printf("tracer exited (exitkill %d): tracee %s\n", exitkill, n > 0 ? buf : "gone");
  close(pfd[0]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("== mem\n"); test_mem();
  printf("== auxv\n"); test_auxv();
  printf("== tracer exits\n"); test_tracer_exits(0); test_tracer_exits(1);
  return 0;
}
