// tests/tools/ss_native.h — the native side of the single-step comparator: a ptrace'd
// child process (registers, FP/SSE state, memory through /proc/PID/mem, one step at a
// time, its mappings from /proc/PID/maps). Linux x86-64 only.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ss {

struct MapEntry {
  uint64_t start, end;
  bool r, w, x, priv;
  uint64_t offset;
  std::string path;
};

class Native {
 public:
  pid_t pid = -1;
  int memfd = -1;
  user_regs_struct regs{};
  user_fpregs_struct fp{};
  bool exited = false;
  int status = 0;        // raw wait status once exited
  int signal = 0;        // signal of the last stop when it was not the single-step trap
  siginfo_t si{};        // its siginfo

  ~Native() { kill(); }

  // Mode A: fork, PTRACE_TRACEME, exec `argv` (stops at the program's first instruction).
  bool spawn(const std::vector<std::string>& argv, bool no_aslr, bool quiet = false) {
    std::vector<char*> av;
    for (auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      if (no_aslr) personality(ADDR_NO_RANDOMIZE);
      if (quiet) {
        const int fd = open("/dev/null", O_RDWR);
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execv(av[0], av.data());
      _exit(127);
    }
    return attach_after_stop(SIGTRAP);
  }

  // Mode B: fork a child that maps `regions` (addr, len, prot) at fixed addresses and stops
  // itself; the parent then drives it entirely through ptrace.
  struct Region { uint64_t addr, len; int prot; };
  bool spawn_stub(const std::vector<Region>& regions) {
    pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
      for (const Region& r : regions) {
        void* p = mmap((void*)r.addr, r.len, r.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED) _exit(126);
      }
      raise(SIGSTOP);
      _exit(0);
    }
    return attach_after_stop(SIGSTOP);
  }

  void kill() {
    if (pid > 0 && !exited) {
      ::kill(pid, SIGKILL);
      int st;
      waitpid(pid, &st, __WALL);
    }
    if (memfd >= 0) close(memfd);
    memfd = -1;
    pid = -1;
  }

  bool get_regs() { return ptrace(PTRACE_GETREGS, pid, nullptr, &regs) == 0; }
  bool set_regs() { return ptrace(PTRACE_SETREGS, pid, nullptr, &regs) == 0; }
  bool get_fp() { return ptrace(PTRACE_GETFPREGS, pid, nullptr, &fp) == 0; }
  bool set_fp() { return ptrace(PTRACE_SETFPREGS, pid, nullptr, &fp) == 0; }

  bool read(uint64_t a, void* dst, size_t n) {
    uint8_t* d = (uint8_t*)dst;
    while (n) {
      const ssize_t k = pread(memfd, d, n, (off_t)a);
      if (k <= 0) return false;
      d += k; a += (uint64_t)k; n -= (size_t)k;
    }
    return true;
  }
  bool write(uint64_t a, const void* src, size_t n) {
    const uint8_t* s = (const uint8_t*)src;
    while (n) {
      const ssize_t k = pwrite(memfd, s, n, (off_t)a);
      if (k <= 0) return false;
      s += k; a += (uint64_t)k; n -= (size_t)k;
    }
    return true;
  }

  // One instruction. Returns 0 after a normal single-step trap, the signal number when
  // the instruction faulted (the child is stopped before delivering it; it will not be
  // delivered), or -1 when the child exited.
  int step() {
    signal = 0;
    if (ptrace(PTRACE_SINGLESTEP, pid, nullptr, nullptr) != 0) return -1;
    return wait_stop();
  }

  std::vector<MapEntry> maps() const {
    std::vector<MapEntry> out;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE* f = fopen(path, "r");
    if (!f) return out;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
      MapEntry m{};
      char perms[8] = {};
      unsigned long long s, e, off;
      int n = 0;
      if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &s, &e, perms, &off, &n) < 4) continue;
      m.start = s; m.end = e; m.offset = off;
      m.r = perms[0] == 'r'; m.w = perms[1] == 'w'; m.x = perms[2] == 'x'; m.priv = perms[3] == 'p';
      const char* p = line + n;
      while (*p == ' ' || *p == '\t') p++;
      m.path = p;
      while (!m.path.empty() && (m.path.back() == '\n' || m.path.back() == ' ')) m.path.pop_back();
      out.push_back(m);
    }
    fclose(f);
    return out;
  }

 private:
  bool attach_after_stop(int want) {
    int st;
    if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st)) {
      fprintf(stderr, "singlestep: child did not stop (status %#x)\n", st);
      pid = -1;
      return false;
    }
    (void)want;
    ptrace(PTRACE_SETOPTIONS, pid, nullptr, (void*)(uintptr_t)PTRACE_O_EXITKILL);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
    memfd = open(path, O_RDWR);
    return memfd >= 0 && get_regs() && get_fp();
  }

  int wait_stop() {
    int st;
    if (waitpid(pid, &st, __WALL) != pid) return -1;
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      exited = true;
      status = st;
      return -1;
    }
    const int sig = WSTOPSIG(st);
    if (sig == SIGTRAP) {
      siginfo_t s{};
      ptrace(PTRACE_GETSIGINFO, pid, nullptr, &s);
      // TRAP_TRACE (2) or TRAP_BRKPT (1) from the step itself; an int3 in the program
      // would show up as SI_KERNEL (0x80).
      if (s.si_code != SI_KERNEL) return 0;
      si = s;
      signal = sig;
      return sig;
    }
    ptrace(PTRACE_GETSIGINFO, pid, nullptr, &si);
    signal = sig;
    return sig;
  }
};

}  // namespace ss
