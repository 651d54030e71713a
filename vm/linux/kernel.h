// vm/linux/kernel.h — the Linux personality: the Kernel (what all tasks share: the VFS,
// the trace stream, the clock, the scheduler) and the Task (one guest thread, Linux's task_struct: a CPU
// plus pointers to what clone() may share: address space, fds, fs info, signal
// handlers, thread group). docs/processes.md explains the model.
//
// Index
//   1. Shared task state: Mm, FsInfo, SigHand, ThreadGroup
//   2. Kernel: tasks, the scheduler (run / idle_wait), timers
//   3. Task: construction, execve(), exit and kill, signals
//   4. Helpers syscall handlers use (guest memory, paths, dirfds, blocking)
//
// Design notes
//   * All tasks run on one host thread. Kernel::run() gives each runnable task a slice
//     of at most kSlice instructions; a syscall that must wait returns kBlock and is
//     re-executed later ("park and re-execute", docs/processes.md).
//   * Syscalls are dispatched by number through the table in syscall.h; each handler
//     returns a value or -errno (Linux numbers, vm/base/lxerrno.h).
//   * Guest faults become signals (SIGSEGV/SIGBUS/SIGFPE/SIGILL with si_addr/si_code);
//     with no handler the process dies: a clear message on stderr, status 128 + signal.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vm/cpu/cpu.h"
#include "vm/cpu/interp.h"
#include "vm/fs/vfs.h"
#include "vm/linux/code_pool.h"
#include "vm/linux/file.h"
#include "vm/mem/address_space.h"
#include "vm/trace/record.h"
#include "vm/trace/trace.h"

namespace gb {

class Task;
class Debugger;
class Ext2Fs;
class Tty;
struct TtyHost;
class Devpts;
class SocketRegistry;
class NetOut;
struct NetOptions;

// ---- 1. shared task state --------------------------------------------------------------
// An address space and the decoded blocks of its code (CLONE_VM shares both).
// The cache may be one a process of the same program left (code_pool.h): `exe_key`
// names the program, and the cache goes back to the pool when the last task leaves.
struct Mm {
  std::unique_ptr<AddressSpace> as;
  std::unique_ptr<BlockCache> bc;  // never null
  std::string exe_key;             // CodePool key of the program execve'd into it ("": none)
  explicit Mm(std::unique_ptr<AddressSpace> a, std::unique_ptr<BlockCache> inherited = nullptr);
  // Hands the cache over (to the pool) and starts an empty one: the old object stays
  // alive wherever it goes, as a run loop may still be inside it.
  std::unique_ptr<BlockCache> take_code();
};
// Root, cwd, umask (CLONE_FS).
struct FsInfo {
  Loc root, cwd;
  uint32_t umask = 022;
};
// The signal dispositions (CLONE_SIGHAND).
struct SigHand {
  lx_sigaction act[LNSIG + 1] = {};
};

// The kernel's siginfo_t (128 bytes).
struct lx_siginfo {
  int32_t si_signo = 0, si_errno = 0, si_code = 0, pad0 = 0;
  union {
    struct { int32_t pid; uint32_t uid; } kill;                           // SI_USER, SI_TKILL
    struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad; int64_t utime, stime; } chld;
    struct { uint64_t addr; } fault;                                      // SIGSEGV ...
    struct { int32_t tid, overrun; uint64_t value; } timer;
    struct { int64_t band; int32_t fd; } poll;
    uint8_t raw[112];
  } u = {};
};
static_assert(sizeof(lx_siginfo) == 128, "siginfo_t is 128 bytes");
enum : int32_t { LSI_USER = 0, LSI_KERNEL = 0x80, LSI_TKILL = -6, LSI_QUEUE = -1, LSI_TIMER = -2,
                 LCLD_EXITED = 1, LCLD_KILLED, LCLD_DUMPED, LCLD_TRAPPED, LCLD_STOPPED, LCLD_CONTINUED,
                 LSEGV_MAPERR = 1, LSEGV_ACCERR = 2, LBUS_ADRERR = 2, LILL_ILLOPN = 2, LFPE_INTDIV = 1,
                 LTRAP_BRKPT = 1 };

// What the tasks of one process (CLONE_THREAD) share beyond the objects above.
struct ThreadGroup {
  int tgid = 0;
  std::vector<Task*> threads;       // live tasks of the group (leader first while alive)
  uint64_t shared_pending = 0;         // process-directed signals
  std::deque<lx_siginfo> shared_info;  // their siginfo, one per standard signal
  bool exiting = false;                // exit_group or a fatal signal is taking the group down
  int exit_status = 0;                 // wait status once it is a zombie
  bool zombie = false;                 // every thread gone; the leader waits to be reaped
  // Job control: stopped by SIGSTOP/SIGTSTP/...; a report is due to the parent.
  bool stopped = false;
  int stop_sig = 0;
  bool stop_report = false, cont_report = false;
  // ITIMER_REAL (alarm, setitimer): absolute monotonic deadline and interval, 0 = off.
  uint64_t real_deadline = 0, real_interval = 0;
  // ITIMER_VIRTUAL / ITIMER_PROF: CPU time left and interval (ns), 0 = off.
  uint64_t virt_left = 0, virt_interval = 0, prof_left = 0, prof_interval = 0;
  // CPU time: the wall time of this group's slices (the engine runs one task at a time,
  // so that is the time the guest computed), and that of reaped children.
  uint64_t cpu_ns = 0, child_cpu_ns = 0;
  int nice = 0;  // setpriority: recorded, reported; nothing is scheduled by it
  uint64_t child_icount = 0;
  uint64_t icount_dead = 0;  // instructions of this group's exited threads
};

// ---- 2. Kernel ------------------------------------------------------------------------
struct KernelOptions {
  std::string hostname = "glassbox";
  uint32_t uid = 0, gid = 0;  // credentials of the first process
  bool quiet = false;         // no "unimplemented syscall" / fault messages on stderr
  uint64_t mem_limit_bytes = 0;  // guest-memory budget (--mem-limit); 0: FramePool's default
  bool reuse_code = true;     // a program's next process starts with its decoded code (code_pool.h)
};

class Kernel {
 public:
  Kernel(std::shared_ptr<FileSystem> rootfs, KernelOptions opts = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;

  // ---- this machine's state ----
  // Nothing mutable of the engine lives outside a Kernel, so machines can run side by
  // side in one process (tests/unit/test_machines.cpp). Declared first: destroyed
  // last, after the tasks and mounts that refer to them.
  Counters counters;                        // vm/base/counters.inc; --stats, the trace
  std::shared_ptr<PhysMem> phys;            // frames + MAP_SHARED cache of every address space
  Waits waits;                              // wait generation; a parking call's notes (file.h)
  AnonFs anon{waits};                       // pipes, sockets, eventfds, host stdio
  std::unique_ptr<Devpts> devpts;           // pty pairs, /dev/pts, the TtyHost (tty.h)
  std::unique_ptr<SocketRegistry> sockets;  // unix names, loopback ports (socket.h)
  std::unique_ptr<NetOut> net;              // outbound through a relay (net_out.h); null: none
  // Turns on outbound networking through the Wisp relay at opts.relay (net_out.cpp).
  void enable_net(const NetOptions& opts);
  std::shared_ptr<FileSystem> memfd_fs;     // memfd_create's files (made on first use)
  uint64_t memfd_seq = 0;

  // The first task (the CLI's or the IDE's program): pid `pid`, parent "1" (outside).
  Task* create_init(int pid = 100);
  // A new task for clone()/fork(); the kernel owns it.
  Task* adopt(std::unique_ptr<Task> t);
  int alloc_pid();

  // ---- scheduler ----
  static constexpr uint64_t kSlice = 200000;  // instructions per turn
  static constexpr size_t kMaxTasks = 1000;      // live + zombie tasks (fork bombs get EAGAIN)
  struct RunResult {
    enum State { Running, Idle, Done } state = Running;
    uint64_t wake_at_ns = 0;  // Idle: the earliest deadline (0 = none: wait for input)
  };
  // Runs tasks for up to `budget` instructions. Done once the init process has exited.
  RunResult run(uint64_t budget);
  // Runs until the init process exits, waiting on host fds and deadlines when idle.
  // Returns init's shell-style status (code, or 128 + signal).
  int run_to_exit();
  // Waits for a host fd registered by a parked task or until `wake_at_ns` (native;
  // the browser worker waits on its own). Returns false if nothing can ever wake a task.
  bool idle_wait(uint64_t wake_at_ns);
  Task* init = nullptr;
  int init_status = -1;  // init's wait status once it exited
  // Wait statuses of processes with no parent in the machine that an embedder watches
  // (spawn.h): pid -> -1 while it runs, then its wait status (kept until erased).
  std::map<int, int> watched_exits;
  uint64_t slice_start_ns = 0;  // when the running task's slice began (CPU clocks)
  // CPU time of a task / its process including the slice running now.
  uint64_t task_cpu_ns(const Task& p) const;
  uint64_t group_cpu_ns(const Task& p) const;
  // Host fds that parked tasks wait on (polled by idle_wait); rebuilt every round.
  std::vector<std::pair<int, short>> host_waits;
  // Extra readiness sources for embedders (the CLI's pty pump): called by idle_wait.
  std::function<void(std::vector<std::pair<int, short>>&)> add_host_fds;
  std::function<void()> on_host_ready;

  // ---- tasks and process relations ----
  Task* find_task(int tid);
  Task* find_leader(int pid);  // the process (thread-group leader) with this pid
  // Sends `sig` to a process (thread group) / a task / a process group.
  // 0, or -EAGAIN: a real-time signal past the target user's RLIMIT_SIGPENDING.
  int signal_process(Task& leader, int sig, const lx_siginfo& si);
  int signal_task(Task& t, int sig, const lx_siginfo& si);
  int signal_pgrp(int pgrp, int sig, const lx_siginfo& si);  // 0 or -ESRCH
  // A process became a zombie or stopped/continued: notify the parent.
  void notify_parent(Task& leader, int code, int status);
  // Removes a zombie (after wait4, or at once when nobody will wait).
  void reap(Task& leader);
  // Mounts /proc and /dev (when the root has those directories). Returns a warning
  // text for each mount that could not be made.
  std::vector<std::string> mount_standard();

  KernelOptions opts;
  Vfs vfs;
  Trace trace;
  RecordRing records;  // binary records for the inspector (vm/trace/record.h); off until enabled
  CodePool code_pool;  // decoded code kept from one process of a program for the next (after records: its regions report as they go)
  Debugger* debugger = nullptr;  // the inspector's control (debug.h); none: tasks run unwatched
  uint64_t boot_mono_ns = 0;
  Task* current = nullptr;  // the task running now (procfs "self")
  std::vector<Task*> procs;  // every task, live or zombie (by creation order)

  // A page fault found the guest-memory budget spent: kill the largest process
  // (oom.cpp). The faulting task retries its instruction if it survives.
  void out_of_memory(Task& faulting);

  // Messages logged once per key ("unimplemented syscall N").
  bool log_once(const std::string& key);
  void message(const std::string& text);  // stderr (unless quiet) + a Message trace event
  // A message the student must see (the OOM killer's): message() and, when the machine
  // has a console (the browser's terminal, where stderr is the developer console), a line
  // on it, as Linux prints to its console.
  void alert(const std::string& text);
  std::weak_ptr<Tty> console;

 private:
  std::set<std::string> logged_;
  std::vector<std::unique_ptr<Task>> owned_;
  std::unique_ptr<TtyHost> tty_host_;
  size_t rr_ = 0;  // round-robin position
  int next_pid_ = 100;
  uint64_t seen_gen_ = 0;
  void check_timers(uint64_t now);
  void charge_itimers(Task& t, uint64_t dt);
  bool wakeable(Task& t, uint64_t now);
  void collect_dead();
};

// ---- ptrace state of a traced task (ptrace.cpp, docs/ptrace.md) ----------------------
// The kind of ptrace-stop a tracee is in (None: running, parked, or group-stopped
// after PTRACE_LISTEN).
enum class PtStop : uint8_t { None, Signal, Group, SyscallEnter, SyscallExit, Event };
struct PtraceState {
  int tracer = 0;               // pid (tgid) of the tracing process; 0: not traced
  bool seized = false;          // PTRACE_SEIZE (event stops for group stops, INTERRUPT, LISTEN)
  uint32_t opts = 0;            // PTRACE_O_*
  PtStop stop = PtStop::None;   // the ptrace-stop the task is in
  bool report = false;          // the stop awaits wait4/waitid
  int code = 0;                 // the stop's code: signal | event << 8 (wait status = code << 8 | 0x7f)
  bool has_si = false;          // GETSIGINFO answers (false in a group stop: EINVAL)
  lx_siginfo si;                // the stop's siginfo (signal-delivery stops: the signal's)
  uint64_t msg = 0;             // PTRACE_GETEVENTMSG
  int resume = 0;               // the last resume request: 0 CONT, 1 SYSCALL, 2 SINGLESTEP
  int inject = 0;               // a signal the tracer let through a signal-delivery stop
  lx_siginfo inject_si;
  bool dispatch = false;        // resumed from a syscall-enter stop: run the call now
  bool entry_done = false;      // the re-executed syscall instruction had its entry stop
  bool emulated = false;        // stopped at a syscall under SYSEMU: the call is never run
  int event = 0;                // an event stop due at this syscall's exit (PTRACE_EVENT_*)
  bool exit_due = false;        // a syscall-exit stop is due after that event stop
  bool trap = false;            // an EVENT_STOP trap is due (INTERRUPT, new seized child, attach)
  int trap_sig = 0;             // ... with this signal (0: SIGTRAP)
  bool listening = false;       // PTRACE_LISTEN: stays stopped (not in a ptrace-stop) until notified
  bool notify = false;          // a SIGCONT came for a seized tracee (LISTEN traps again)
  bool restart = false;         // a traced syscall was interrupted (-ERESTARTSYS in rax)
  bool exit_reported = false;   // PTRACE_EVENT_EXIT was reported: exit/exit_group go on
  uint64_t orig_rax = ~0ull;    // the syscall number of the current / last syscall
  uint64_t dr[8] = {};          // debug registers as written (watchpoints emulated by stepping)
  uint64_t watch_val[4] = {};   // the watched bytes when last looked at
};

// ---- 3. Task -----------------------------------------------------------------------
class Task : public CpuHost {
 public:
  Task(Kernel& k, int pid);                  // a new process with a fresh address space
  Task(Kernel& k, Task& parent, uint64_t clone_flags, int tid);  // clone()
  ~Task() override;
  Task(const Task&) = delete;

  // Replaces the program (execve). On failure the process is unchanged; `err` says why.
  // Returns 0 or -errno (ENOENT, EACCES, ENOEXEC, ...).
  // Installs the host's stdin/stdout/stderr as guest fds 0, 1 and 2.
  void attach_host_stdio();
  int execve(const std::string& path, const std::vector<std::string>& argv, const std::vector<std::string>& envp,
             std::string& err);
  // One slice of at most `budget` instructions (the scheduler calls it).
  void run_slice(uint64_t budget);
  // Shell-style exit status: code, or 128 + signal.
  int shell_status() const { return killed_by ? 128 + killed_by : exit_code; }

  void exit_now(int code);                             // exit_group
  void exit_thread(int code);                          // exit: this task only
  void end_task();  // common tail of exit/kill: child tid, vfork parent, files, zombie
  void kill_with(int sig, const std::string& reason);  // the group is terminated by a signal
  // Emits the Exit trace event of an exit_now/kill_with (after the syscall's own event).
  void flush_exit_event();

  // ---- signals (signal.cpp) ----
  // Runs default actions and sets up handler frames for deliverable signals. Called by
  // the scheduler before the task runs and after each syscall.
  void deliver_signals();
  bool signal_deliverable() const;        // an unblocked signal is pending for this task
  uint64_t pending_mask() const;          // task + group pending
  // A synchronous fault: delivered at once (SIGSEGV with si_addr ...); kills the group if
  // the signal is blocked or ignored, as Linux does.
  void force_signal(int sig, const lx_siginfo& si, const std::string& what);
  int64_t sigreturn();                    // rt_sigreturn

  // ---- CpuHost ----
  void syscall(Cpu& cpu) override;
  uint64_t rdtsc() override;
  void illegal_instruction(Cpu& cpu, uint64_t rip, const uint8_t* bytes, int n) override;

  // ---- 4. helpers for syscall handlers ----
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

  // Blocking (docs/processes.md). The absolute deadline of a call with a relative
  // timeout: computed on the first entry, kept across re-executions.
  uint64_t deadline_for(uint64_t rel_ns);
  void wake_at(uint64_t abs_ns) { if (!wake_at_ns || abs_ns < wake_at_ns) wake_at_ns = abs_ns; }
  void wait_host_fd(int fd, short events) { host_fds.push_back({fd, events}); }
  static uint64_t now_ns();  // the monotonic clock deadlines use

  Kernel& k;
  int pid, tid, ppid = 1, pgid, sid;
  uint32_t uid, euid, suid, gid, egid, sgid;
  std::vector<uint32_t> groups;       // supplementary groups (setgroups)

  Cpu cpu;
  // Shared with other tasks according to the clone flags (docs/processes.md).
  std::shared_ptr<Mm> mm;
  AddressSpace* mem = nullptr;        // = mm->as
  std::shared_ptr<FdTable> fdt;
  FdTable& fds;                       // = *fdt
  std::shared_ptr<FsInfo> fsi;
  Loc& root;                          // = fsi->root
  Loc& cwd;                           // = fsi->cwd
  uint32_t& umask;                    // = fsi->umask
  std::shared_ptr<SigHand> sighand;
  lx_sigaction* sigact;               // = sighand->act
  std::shared_ptr<ThreadGroup> tg;
  std::string exe;                    // canonical path of the running program
  std::vector<std::string> cmdline;   // argv as given to execve
  std::vector<std::string> environ;   // envp as given to execve
  std::vector<uint64_t> saved_auxv;   // the auxiliary vector of the last execve (/proc/PID/auxv)
  uint32_t persona = 0;               // personality(2): PER_LINUX and flags, inherited
  bool is_leader() const { return tid == pid; }
  std::shared_ptr<Tty> ctty;          // the controlling terminal of the session (tty.h)

  // Signals of this task.
  uint64_t sigmask = 0;
  uint64_t sigpending = 0;            // thread-directed
  std::deque<lx_siginfo> siginfo;     // their siginfo
  lx_stack_t altstack = {0, 2 /* SS_DISABLE */, 0, 0};
  uint64_t saved_sigmask = 0;         // rt_sigsuspend / ppoll / pselect6: restored after the handler
  bool restore_sigmask = false;
  int exit_signal = LSIGCHLD;         // sent to the parent when this process ends (clone's low byte)

  lx_rlimit rlim[16];
  uint64_t clear_child_tid = 0, robust_list = 0, robust_len = 0;

  // Scheduling state.
  enum class State { Runnable, Blocked, Dead } state = State::Runnable;
  bool restarting = false;            // this syscall is a re-execution after a park
  uint64_t block_deadline = 0;        // deadline_for(): kept across re-executions
  uint64_t write_done = 0;            // a blocking stream write parked part-way: bytes written
  uint64_t wake_at_ns = 0;            // a parked task is retried at this time
  uint64_t park_gen = 0;              // wait generation when it parked
  std::vector<std::pair<int, short>> host_fds;  // host fds a parked call waits on
  int vfork_child = 0;                // waiting for this child to exec or exit (vfork)
  int vfork_parent = 0;               // in a vfork child until it execs or exits: the parent's tid
  uint64_t futex_key = 0;             // FUTEX_WAIT: the address waited on (0 = none)
  const void* futex_space = nullptr;  // ... in this space (sys_futex.cpp: private or shared key)
  uint32_t futex_bitset = 0;
  bool futex_woken = false;
  uint64_t icount_base = 0;           // cpu.icount at creation (clone copies the counter)
  uint64_t cpu_ns = 0;                // this task's CPU time (its slices)
  uint64_t stat_ns = 0;               // when its last Stat record was made (rectrace.cpp)
  bool vfork_child_done_ = false;     // the vfork wait ended: resume after the clone, no retry
  bool reaped_ = false;               // a zombie leader that wait4 (or nobody) collected

  bool exited = false;                // this task has ended
  int exit_code = 0;
  int killed_by = 0;
  bool core_dumped = false;

  // Statistics
  uint64_t start_ns = 0;
  uint64_t nsyscalls = 0;

  // Set by handlers that replaced or ended the program (execve, exit): the dispatcher
  // must not touch rax afterwards.
  bool regs_replaced = false;

  PtraceState pt;                     // ptrace (ptrace.cpp)
  bool traced() const { return pt.tracer != 0; }

  void handle_exception(const CpuException& ex);  // a fault of the running code -> signal

 private:
  bool exit_event_due_ = false;
  void interrupt_syscall();         // a signal ends a parked call: -EINTR or restart
  std::shared_ptr<Mm> retired_mm_;  // the pre-execve address space, freed after the slice
  bool setup_frame(int sig, const lx_siginfo& si, const lx_sigaction& act);
  int exec_depth_ = 0;
  friend class Kernel;
};

// ---- ptrace hooks (ptrace.cpp) ----
// Syscall entry of a traced task: true when it stopped (the call runs when resumed).
bool ptrace_syscall_enter(Task& t, uint64_t nr);
// A traced syscall completed with `ret` (events, syscall-exit stop) / would block while
// a signal is deliverable (true: interrupted with -ERESTARTSYS instead of parking).
void ptrace_syscall_exit(Task& t, uint64_t nr, int64_t ret);
bool ptrace_syscall_interrupted(Task& t, uint64_t nr);
// Before a traced task runs: 0 run, 1 it stopped (or stays stopped), 2 single-step
// (PTRACE_SINGLESTEP or watchpoints).
int ptrace_before_run(Task& t);
// Single-step, or run a tracee with data watchpoints step by step. Returns the
// instructions run.
uint64_t ptrace_single_step(Task& t);
bool ptrace_watching(const Task& t);
void ptrace_watch_snapshot(Task& t);
// A traced task dequeued `sig`: true when it entered a signal-delivery stop.
bool ptrace_signal_stop(Task& t, int sig, const lx_siginfo& si);
// A traced task's group stop (default action of a stop signal).
void ptrace_group_stop(Task& t, int sig);
// No handler ran for a signal: an interrupted traced syscall restarts. A handler will:
// -EINTR or a restart after it, as SA_RESTART says.
void ptrace_fix_restart(Task& t, const lx_sigaction* act);
// exit/exit_group of a tracee with PTRACE_O_TRACEEXIT: true when the call must wait
// (kBlock) for the PTRACE_EVENT_EXIT stop; it then runs again and ends the task.
bool ptrace_exit_event(Task& t, int status);
// clone()/fork()/vfork() made `child` (auto-attach with TRACEFORK/VFORK/CLONE).
void ptrace_on_clone(Task& parent, Task& child, uint64_t flags);
// A traced vfork parent's wait ended (PTRACE_O_TRACEVFORKDONE) / a traced thread (not
// a leader) ended: its tracer gets SIGCHLD and collects it with wait4(__WALL).
void ptrace_vfork_done(Task& parent, int child_tid);
void ptrace_thread_exited(Task& t);
// A tracer process ended: its tracees are detached (SIGKILLed with EXITKILL).
void ptrace_tracer_gone(Kernel& k, int tracer_pid);
// Whether `tracer` may inspect `target` (Linux's ptrace_may_access for our users).
bool ptrace_may_access(const Task& tracer, const Task& target);
// Forced write into the tracee's memory (POKETEXT, /proc/PID/mem): read-only private
// mappings are written through a private copy; decoded code on the page is dropped.
bool ptrace_write_mem(Task& target, uint64_t addr, const void* src, size_t n);

// Forwards an ext2 file system's read events to k.trace as TraceKind::FsRead.
void attach_ext2_trace(Kernel& k, Ext2Fs& fs);

// The engine's CPUID (leaf, subleaf) -> eax ebx ecx edx (guest_cpuid.cpp).
void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);

// Signal default actions.
bool signal_default_terminates(int sig);
bool signal_default_ignored(int sig);
bool signal_default_stops(int sig);
bool signal_default_cores(int sig);
lx_siginfo make_siginfo(int sig, int code, int pid = 0, uint32_t uid = 0);

// The terminal layer's view of the kernel (tty_host.cpp); Kernel installs it.
std::unique_ptr<TtyHost> make_kernel_tty_host(Kernel& k);
// Gives the first process a console pty (/dev/pts/0) as fds 0-2 and controlling
// terminal, as a session leader. The host drives the returned Tty's master side.
std::shared_ptr<Tty> attach_console(Task& p, uint16_t rows, uint16_t cols);

// futex wake (sys_futex.cpp): wakes up to n tasks parked on (space, addr) — space is the
// Mm for private keys; returns how many.
int futex_wake(Kernel& k, const void* space, uint64_t addr, int n, uint32_t bitset = 0xffffffffu);

}  // namespace gb
