// vm/linux/kernel.h — the Linux personality: the Kernel (what all processes share: the
// VFS, the trace stream, the clock) and the Process (one guest program: CPU, address
// space, block cache, fds, cwd, credentials, recorded signal state).
//
// Index
//   1. Kernel
//   2. Process: construction, execve(), run(), exit and kill
//   3. Helpers syscall handlers use (guest memory, paths, dirfds)
//
// Design notes
//   * One process and one thread for now (issue 2); fork/vfork/clone, wait and signal
//     delivery come with the process issue. Everything a later scheduler needs is kept
//     per Process, and the CPU is entered only through Process::run() slices.
//   * Syscalls are dispatched by number through the table in syscall.h; each handler
//     returns a value or -errno (Linux numbers, lxerrno.h).
//   * A guest fault or an unimplemented instruction kills the process with the matching
//     signal (no handlers yet): a clear message on stderr, exit status 128 + signal.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/fs/vfs.h"
#include "vm/linux/file.h"
#include "vm/mem/address_space.h"
#include "vm/trace/trace.h"

namespace gb {

class Process;
class Ext2Fs;

// ---- 1. Kernel ------------------------------------------------------------------------
struct KernelOptions {
  std::string hostname = "glassbox";
  uint32_t uid = 0, gid = 0;  // credentials of the first process
  bool quiet = false;         // no "unimplemented syscall" / fault messages on stderr
};

class Kernel {
 public:
  Kernel(std::shared_ptr<FileSystem> rootfs, KernelOptions opts = {});
  ~Kernel();
  // Mounts /proc and /dev (when the root has those directories). Returns a warning
  // text for each mount that could not be made.
  std::vector<std::string> mount_standard();

  KernelOptions opts;
  Vfs vfs;
  Trace trace;
  uint64_t boot_mono_ns = 0;
  Process* current = nullptr;  // the process running now (procfs "self")
  std::vector<Process*> procs;

  // Messages logged once per key ("unimplemented syscall N").
  bool log_once(const std::string& key);
  void message(const std::string& text);  // stderr (unless quiet) + a Message trace event

 private:
  std::set<std::string> logged_;
};

// ---- 2. Process -----------------------------------------------------------------------
class Process : public CpuHost {
 public:
  Process(Kernel& k, int pid);
  ~Process() override;
  Process(const Process&) = delete;

  // Replaces the program (execve). On failure the process is unchanged; `err` says why.
  // Returns 0 or -errno (ENOENT, EACCES, ENOEXEC, ...).
  // Installs the host's stdin/stdout/stderr as guest fds 0, 1 and 2.
  void attach_host_stdio();
  int execve(const std::string& path, const std::vector<std::string>& argv, const std::vector<std::string>& envp,
             std::string& err);
  // Runs until the process exits. Returns its wait status (exit code << 8, or signal).
  int run();
  // One slice of at most `budget` instructions (for embedders that interleave).
  void run_slice(uint64_t budget);
  // Shell-style exit status: code, or 128 + signal.
  int shell_status() const { return killed_by ? 128 + killed_by : exit_code; }

  void exit_now(int code);                             // exit_group
  void kill_with(int sig, const std::string& reason);  // terminated by a signal
  // Emits the Exit trace event of an exit_now/kill_with (after the syscall's own event).
  void flush_exit_event();

  // ---- CpuHost ----
  void syscall(Cpu& cpu) override;
  uint64_t rdtsc() override;
  void illegal_instruction(Cpu& cpu, uint64_t rip, const uint8_t* bytes, int n) override;

  // ---- 3. helpers for syscall handlers ----
  // Reads a NUL-terminated path: 0, -EFAULT or -ENAMETOOLONG.
  int get_path(uint64_t addr, std::string& out);
  bool get(void* dst, uint64_t addr, size_t n) { return n == 0 || mem->copy_in(dst, addr, n); }
  bool put(uint64_t addr, const void* src, size_t n) { return n == 0 || mem->copy_out(addr, src, n); }
  // The base directory for a *at() call: cwd for AT_FDCWD, else the fd's location.
  int at_base(int dirfd, Loc& out);
  // Resolves `path` relative to dirfd.
  int resolve_at(int dirfd, const std::string& path, bool follow, Loc& out, bool allow_empty = false,
                 bool must_dir = false);
  int resolve_parent_at(int dirfd, const std::string& path, Loc& dir, std::string& last, bool* trailing = nullptr);
  FileRef file(int fd) const { return fds.get(fd); }

  Kernel& k;
  int pid, tid, ppid = 1, pgid, sid;
  uint32_t uid, euid, suid, gid, egid, sgid;
  uint32_t umask = 022;

  Cpu cpu;
  std::unique_ptr<AddressSpace> mem;
  BlockCache bc;
  FdTable fds;
  Loc root, cwd;
  std::string exe;                    // canonical path of the running program
  std::vector<std::string> cmdline;   // argv as given to execve
  std::vector<std::string> environ;   // envp as given to execve

  // Signals, recorded (delivery comes with the signals issue).
  lx_sigaction sigact[LNSIG + 1] = {};
  uint64_t sigmask = 0;
  uint64_t sigpending = 0;
  lx_stack_t altstack = {0, 2 /* SS_DISABLE */, 0, 0};

  lx_rlimit rlim[16];
  uint64_t clear_child_tid = 0, robust_list = 0, robust_len = 0;

  bool exited = false;
  int exit_code = 0;
  int killed_by = 0;

  // Statistics
  uint64_t start_ns = 0;
  uint64_t nsyscalls = 0;

  // Set by handlers that replaced or ended the program (execve, exit): the dispatcher
  // must not touch rax afterwards.
  bool regs_replaced = false;

 private:
  bool exit_event_due_ = false;
  std::unique_ptr<AddressSpace> retired_mem_;  // the pre-execve address space, freed after the slice
  void handle_exception(const CpuException& ex);
  int exec_depth_ = 0;
};

// Forwards an ext2 file system's read events to k.trace as TraceKind::FsRead.
void attach_ext2_trace(Kernel& k, Ext2Fs& fs);

// The engine's CPUID (leaf, subleaf) -> eax ebx ecx edx (guest_cpuid.cpp).
void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);

// Signal default actions.
bool signal_default_terminates(int sig);
bool signal_default_ignored(int sig);

}  // namespace gb
