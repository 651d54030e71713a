// vm/linux/syscall.h — the syscall table: number -> name, argument decoder (for the
// trace / --strace), handler.
//
// Handlers live in one file per family and register themselves:
//   sys_file.cpp    read write open close lseek dup pipe ioctl fcntl poll ...
//   sys_fs.cpp      stat family, getdents64, readlink, getcwd, chdir, access, mkdir,
//                   unlink, rename, chmod, chown, utimensat, truncate, statfs ...
//   sys_mem.cpp     mmap munmap mprotect mremap madvise brk mincore
//   sys_proc.cpp    exit, execve, ids, arch_prctl, set_tid_address, rlimits, uname ...
//   sys_time.cpp    clock_gettime, gettimeofday, nanosleep, times, getrusage ...
//   sys_signal.cpp  rt_sigaction, rt_sigprocmask, sigaltstack, kill (recorded)
//   sys_misc.cpp    getrandom, futex, sysinfo, sched_*, rseq, prctl ...
//
// Argument kinds tell the trace how to print each argument (like strace). `aux` is the
// index of the argument that holds a length/count (buffers, iovecs), or unused.
#pragma once
#include <cstdint>
#include <string>

#include "vm/base/sysargs.h"

namespace gb {

class Task;

using SysHandler = int64_t (*)(Task& p, const uint64_t* a);

// ArgKind, RetKind and ArgSpec: vm/base/sysargs.h (shared with the inspector's decoder).

struct SyscallDef {
  const char* name = nullptr;
  SysHandler fn = nullptr;
  uint8_t nargs = 0;
  ArgSpec args[6];
  uint8_t ret = R_INT;
};

constexpr int kMaxSyscall = 512;

class SyscallTable {
 public:
  static const SyscallTable& get();
  const SyscallDef* find(uint64_t nr) const { return nr < kMaxSyscall && defs_[nr].fn ? &defs_[nr] : nullptr; }
  // Name of any x86-64 syscall number (implemented or not), or nullptr.
  static const char* name(uint64_t nr);

  void add(int nr, const char* name, SysHandler fn, std::initializer_list<ArgSpec> args, uint8_t ret = R_INT);

 private:
  SyscallDef defs_[kMaxSyscall];
};

// Family registration (each in its own file).
void register_sys_file(SyscallTable& t);
void register_sys_fs(SyscallTable& t);
void register_sys_mem(SyscallTable& t);
void register_sys_proc(SyscallTable& t);
void register_sys_time(SyscallTable& t);
void register_sys_signal(SyscallTable& t);
void register_sys_misc(SyscallTable& t);
void register_sys_socket(SyscallTable& t);  // sys_socket.cpp
void register_sys_task(SyscallTable& t);   // sys_task.cpp: clone fork vfork exit wait4 waitid
void register_sys_futex(SyscallTable& t);  // sys_futex.cpp
void register_sys_event(SyscallTable& t);  // sys_event.cpp: epoll eventfd timerfd
void register_sys_ptrace(SyscallTable& t);  // ptrace.cpp: ptrace process_vm_readv/writev

// Trace formatting (strace.cpp): the text of each argument before the call (out
// arguments as placeholders) and the completed line after it.
struct SysFormat {
  std::string args[6];
  bool out[6] = {};
};
void format_sys_enter(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f);
std::string format_sys_exit(Task& p, const SyscallDef& d, const uint64_t* a, SysFormat& f, int64_t ret);
std::string format_ret(int64_t ret, uint8_t kind);

// Helpers for the handler files.
inline ArgSpec I() { return {A_INT, 0}; }
inline ArgSpec L() { return {A_LONG, 0}; }
inline ArgSpec U() { return {A_ULONG, 0}; }
inline ArgSpec H() { return {A_HEX, 0}; }
inline ArgSpec P() { return {A_PTR, 0}; }
inline ArgSpec FD() { return {A_FD, 0}; }
inline ArgSpec K(ArgKind k, uint8_t aux = 0) { return {(uint8_t)k, aux}; }

}  // namespace gb
