// vm/linux/kernel.cpp — Kernel, Task lifecycle, execve, the run loop and faults
// (see kernel.h).
#include "vm/linux/kernel.h"

#include "vm/linux/net_out.h"
#include "vm/linux/debug.h"
#include "vm/linux/entropy.h"
#include "vm/linux/rectrace.h"
#include "vm/linux/elf.h"
#include "vm/fs/tmpfs.h"
#include "vm/linux/pseudofs.h"
#include "vm/linux/socket.h"
#include "vm/linux/tty.h"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace gb {

// ---- Kernel ---------------------------------------------------------------------------

Kernel::Kernel(std::shared_ptr<FileSystem> rootfs, KernelOptions o)
    : phys(std::make_shared<PhysMem>()), devpts(std::make_unique<Devpts>(waits)),
      sockets(std::make_unique<SocketRegistry>(anon)), opts(std::move(o)), vfs(std::move(rootfs)) {
  boot_mono_ns = trace_now_ns();
  phys->counters = &counters;
  if (opts.mem_limit_bytes) phys->frames.set_limit_bytes(opts.mem_limit_bytes);
  code_pool.enabled = opts.reuse_code;
  tty_host_ = make_kernel_tty_host(*this);
  devpts->host = tty_host_.get();
}

Kernel::~Kernel() {
  owned_.clear();  // tasks first: they may still reach the tty host
  devpts->host = nullptr;
}

std::vector<std::string> Kernel::mount_standard() {
  std::vector<std::string> warnings;
  struct M { const char* path; std::shared_ptr<FileSystem> fs; };
  // /dev/shm and /tmp are memory file systems (POSIX semaphores live in /dev/shm; /tmp
  // is empty after a restart, as on Linux, and gcc's temporary files never reach the
  // overlay). A host-directory root (--root, development) keeps its own /tmp.
  auto creds = [this](uint32_t* uid, uint32_t* gid) {
    *uid = current ? current->euid : 0;
    *gid = current ? current->egid : 0;
  };
  const M ms[] = {{"/proc", make_procfs(*this)}, {"/dev", make_devfs(*this)}, {"/dev/shm", make_tmpfs(creds)}};
  for (const M& m : ms) {
    int e = vfs.mount(m.path, m.fs);
    if (e < 0)
      warnings.push_back(std::string("cannot mount ") + m.path + ": " + errno_message(-e) +
                         " (the guest root needs an empty " + m.path + " directory)");
  }
  if (std::string(vfs.root().node->fs()->type_name()) != "hostfs") {
    const int e = vfs.mount("/tmp", make_tmpfs(creds));
    if (e < 0) warnings.push_back(std::string("cannot mount /tmp: ") + errno_message(-e));
  }
  return warnings;
}

bool Kernel::log_once(const std::string& key) { return logged_.insert(key).second; }

void Kernel::message(const std::string& text) {
  if (!opts.quiet) {
    std::string line = "glassbox: " + text + "\n";
    (void)!::write(2, line.data(), line.size());
  }
  if (trace.enabled()) {
    TraceEvent e = trace.make(TraceKind::Message, current ? current->pid : 0, current ? current->tid : 0,
                              current ? current->cpu.icount : 0);
    e.set_text(text);
    trace.emit(e);
  }
}

void Kernel::alert(const std::string& text) {
  message(text);
  if (std::shared_ptr<Tty> t = console.lock()) t->kernel_print("\n[glassbox] " + text + "\n");
}

// ---- signals (default actions) ----------------------------------------------------------

bool signal_default_ignored(int sig) {
  return sig == LSIGCHLD || sig == LSIGURG || sig == LSIGWINCH || sig == LSIGCONT;
}
bool signal_default_terminates(int sig) {
  return sig >= 1 && sig <= LNSIG && !signal_default_ignored(sig) && sig != LSIGSTOP && sig != LSIGTSTP &&
         sig != LSIGTTIN && sig != LSIGTTOU;
}

// ---- Task --------------------------------------------------------------------------

namespace {

uint32_t cpuid_leaf1_edx() {
  uint32_t r[4];
  guest_cpuid(1, 0, r);
  return r[3];
}

constexpr uint64_t kInf = ~0ull;

}  // namespace

Mm::Mm(std::unique_ptr<AddressSpace> a, std::unique_ptr<BlockCache> inherited)
    : as(std::move(a)), bc(inherited ? std::move(inherited) : std::make_unique<BlockCache>()) {
  bc->counters = as->phys().counters;
  as->set_code_watcher([this](uint64_t page) { bc->invalidate_page(page); });
}

std::unique_ptr<BlockCache> Mm::take_code() {
  std::unique_ptr<BlockCache> old = std::move(bc);
  bc = std::make_unique<BlockCache>();
  bc->counters = old->counters;
  return old;
}

// The CodePool key of an executable: its path and identity (a rebuilt file differs in
// inode, size or mtime; one that does not still has every page checked: code_pool.h).
static std::string code_key(const Loc& exe, const Stat& st) {
  char id[96];
  snprintf(id, sizeof id, "|%llu|%llu|%lld|%lld.%09lld", (unsigned long long)st.dev, (unsigned long long)st.ino,
           (long long)st.size, (long long)st.mtime.sec, (long long)st.mtime.nsec);
  return exe.path + id;
}

Task::Task(Kernel& kern, int p)
    : k(kern), pid(p), tid(p), pgid(p), sid(p),
      fdt(std::make_shared<FdTable>()), fds(*fdt),
      fsi(std::make_shared<FsInfo>()), root(fsi->root), cwd(fsi->cwd), umask(fsi->umask),
      sighand(std::make_shared<SigHand>()), sigact(sighand->act) {
  uid = euid = suid = k.opts.uid;
  gid = egid = sgid = k.opts.gid;
  mm = std::make_shared<Mm>(std::make_unique<AddressSpace>(k.phys));
  mem = mm->as.get();
  cpu.mem = mem;
  cpu.host = this;
  root = cwd = k.vfs.root();
  tg = std::make_shared<ThreadGroup>();
  tg->tgid = pid;
  tg->threads.push_back(this);
  const lx_rlimit defaults[16] = {
      {kInf, kInf},          // CPU
      {kInf, kInf},          // FSIZE
      {kInf, kInf},          // DATA
      {kStackSize, kInf},    // STACK
      {0, kInf},             // CORE
      {kInf, kInf},          // RSS
      {63322, 63322},        // NPROC
      {1024, 1048576},       // NOFILE
      {8ull << 20, 8ull << 20},  // MEMLOCK
      {kInf, kInf},          // AS
      {kInf, kInf},          // LOCKS
      {0, 0},                // SIGPENDING: below
      {819200, 819200},      // MSGQUEUE
      {0, 0},                // NICE
      {0, 0},                // RTPRIO
      {kInf, kInf},          // RTTIME
  };
  memcpy(rlim, defaults, sizeof rlim);
  // Linux sizes RLIMIT_SIGPENDING from the machine's memory (max_threads / 2, with
  // max_threads = RAM pages / 32): here the machine is the guest-memory budget, so a
  // 2 GiB budget gives 8192 (a small machine's value), at least 1024.
  rlim[11].cur = rlim[11].max = std::max<uint64_t>(k.phys->frames.limit_bytes() / PAGE / 64, 1024);
  fds.max_fds = (int)rlim[7].cur;
  start_ns = trace_now_ns();
  k.procs.push_back(this);
  k.current = this;
}

Task::~Task() {
  for (size_t i = 0; i < k.procs.size(); i++)
    if (k.procs[i] == this) { k.procs.erase(k.procs.begin() + (long)i); break; }
  if (tg) {
    auto& th = tg->threads;
    for (size_t i = 0; i < th.size(); i++)
      if (th[i] == this) { th.erase(th.begin() + (long)i); break; }
  }
  if (k.current == this) k.current = nullptr;
  if (k.init == this) k.init = nullptr;
}

void Task::attach_host_stdio() {
  for (int fd = 0; fd < 3; fd++) {
    uint32_t flags = fd == 0 ? LO_RDONLY : LO_WRONLY;
    if (host_isatty(fd)) flags = LO_RDWR;
#if !defined(__EMSCRIPTEN__)
    const int hf = fcntl(fd, F_GETFL);
    if (hf < 0) continue;  // the host fd is closed: so is the guest's
    // Mirror the host description's access mode and status flags (same values on Linux).
    flags = (uint32_t)hf & (LO_ACCMODE | LO_APPEND | LO_LARGEFILE);  // host is Linux: same bits
#endif
    // The name /proc/self/fd shows: a terminal, /dev/null, or (pipes, files) nothing,
    // which makes it "pipe:[ino]" / "anon_inode:[ino]".
    InodeRef n = host_stream(k.anon, fd);
    std::string name;
    if (host_isatty(fd)) name = "/dev/pts/0";
    else if (n->ftype() == LS_IFCHR) name = "/dev/null";
    FileRef f;
    if (open_inode(k.phys->shared, Loc{n, name}, flags, f) == 0) fds.install(fd, f, false);
  }
}

int Task::execve(const std::string& path, const std::vector<std::string>& argv,
                    const std::vector<std::string>& envp, std::string& err) {
  if (path.empty()) { err = "empty path"; return -LX_ENOENT; }
  Loc exe_loc;
  int e = resolve_at(LAT_FDCWD, path, true, exe_loc);
  if (e < 0) { err = path + ": " + errno_message(-e); return e; }
  if (exe_loc.node->is_dir()) { err = path + ": is a directory"; return -LX_EACCES; }
  if (!exe_loc.node->is_reg()) { err = path + ": not a regular file"; return -LX_EACCES; }
  Stat st;
  e = exe_loc.node->getattr(st);
  if (e < 0) { err = path + ": " + errno_message(-e); return e; }
  if (!(st.mode & 0111)) { err = path + ": permission denied (not executable)"; return -LX_EACCES; }
  std::string line;
  const int kind = sniff_exec(*exe_loc.node, line);
  if (kind < 0) { err = path + ": " + errno_message(-kind); return kind; }
  if (kind == 2) {
    // "#!interpreter [one optional argument]"
    if (exec_depth_ >= 4) { err = path + ": too many levels of #! interpreters"; return -LX_ELOOP; }
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') j++;
    std::string interp = line.substr(i, j - i);
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) j++;
    std::string arg = line.substr(j);
    while (!arg.empty() && (arg.back() == ' ' || arg.back() == '\t' || arg.back() == '\r')) arg.pop_back();
    if (interp.empty()) { err = path + ": empty #! line"; return -LX_ENOEXEC; }
    std::vector<std::string> nargv = {interp};
    if (!arg.empty()) nargv.push_back(arg);
    nargv.push_back(path);
    for (size_t a = 1; a < argv.size(); a++) nargv.push_back(argv[a]);
    exec_depth_++;
    e = execve(interp, nargv, envp, err);
    exec_depth_--;
    return e;
  }
  if (kind == 0) { err = path + ": exec format error (not ELF, no #!)"; return -LX_ENOEXEC; }

  if (tg->threads.size() > 1) {
    // execve in a threaded process: the other threads end first (the exec'ing thread
    // keeps its tid; Linux would give it the leader's).
    for (Task* t : std::vector<Task*>(tg->threads))
      if (t != this && !t->exited) { t->exited = true; t->killed_by = LSIGKILL; t->end_task(); }
  }
  auto nm = std::make_unique<AddressSpace>(k.phys);
  ElfInfo info;
  e = load_elf(k.vfs, root, exe_loc, *nm, info, err);
  if (e < 0) return e;
  nm->brk_start = nm->brk_cur = page_up(info.brk);
  StackInit si;
  si.argv = argv;
  si.envp = envp;
  si.execfn = path;
  fill_random(si.random, 16);
  si.hwcap = cpuid_leaf1_edx();
  si.uid = uid;
  si.euid = euid;
  si.gid = gid;
  si.egid = egid;
  const uint64_t sp = build_stack(*nm, info, si, info.exec_stack);
  if (!sp) { err = path + ": argument list too long"; return -LX_E2BIG; }
  // The auxiliary vector as laid out (argc, argv, NULL, envp, NULL, pairs): /proc/PID/auxv.
  std::vector<uint64_t> auxv;
  {
    uint64_t at = sp + 8 * (argv.size() + 1 + envp.size() + 2), pair[2];
    while (nm->copy_in(pair, at, 16) && auxv.size() < 128) {
      auxv.push_back(pair[0]);
      auxv.push_back(pair[1]);
      if (!pair[0]) break;
      at += 16;
    }
  }

  // Point of no return: the new image replaces the old one.
  k.counters.execs++;
  // The code: what the program's last process left, if any (taken before the old image
  // goes back, so a program exec'ing itself starts empty rather than inside the cache
  // its run loop is still running); the old image's goes to the pool unless a vfork
  // parent still runs in it.
  const std::string key = code_key(exe_loc, st);
  std::unique_ptr<BlockCache> inherited = k.code_pool.take(key);
  bool old_in_use = false;
  for (Task* q : k.procs)
    if (q != this && !q->exited && q->mm == mm) old_in_use = true;
  if (!old_in_use) k.code_pool.put(mm->exe_key, mm->take_code(), *mem);
  retired_mm_ = std::move(mm);
  mm = std::make_shared<Mm>(std::move(nm), std::move(inherited));
  mm->exe_key = key;
  mem = mm->as.get();
  cpu.mem = mem;
  if (vfork_parent) {  // the parent of a vfork runs again once the child has its own memory
    if (Task* par = k.find_task(vfork_parent)) {
      par->vfork_child = 0;
      par->vfork_child_done_ = true;
      if (par->traced()) ptrace_vfork_done(*par, tid);
    }
    vfork_parent = 0;
    k.waits.wake();
  }
  memset(cpu.r, 0, sizeof cpu.r);
  cpu.r[RSP] = sp;
  cpu.rip = info.entry;
  cpu.rflags = 0x202;
  cpu.cc = LazyFlags{};
  cpu.fs_base = cpu.gs_base = 0;
  memset(cpu.xmm, 0, sizeof cpu.xmm);
  cpu.mxcsr = 0x1f80;
  cpu.fpu = X87{};
  cpu.stop = true;
  fds.close_on_exec();
  if (sighand.use_count() > 1) {  // shared handlers (CLONE_SIGHAND): this process gets its own
    sighand = std::make_shared<SigHand>(*sighand);
    sigact = sighand->act;
  }
  for (int s = 1; s <= LNSIG; s++) {  // caught -> default; ignored stays ignored; flags, mask, restorer cleared
    const uint64_t h = sigact[s].handler == 1 ? 1 : 0;
    sigact[s] = lx_sigaction{};
    sigact[s].handler = h;
  }
  altstack = {0, 2, 0, 0};
  exe = exe_loc.path;
  saved_auxv = std::move(auxv);
  cmdline = argv;
  environ = envp;
  clear_child_tid = robust_list = robust_len = 0;
  regs_replaced = true;
  if (k.trace.enabled()) {
    TraceEvent ev = k.trace.make(TraceKind::Exec, pid, tid, cpu.icount);
    ev.args[0] = info.entry;
    ev.args[1] = sp;
    ev.set_text(exe);
    k.trace.emit(ev);
  }
  if (k.records.enabled()) record_exec(*this, info.entry);
  if (k.debugger) k.debugger->exec_done(*this);
  return 0;
}

void Task::run_slice(uint64_t budget) {
  k.current = this;
  std::shared_ptr<Mm> hold = mm;  // execve/exit may drop it while its code runs
  hold->bc->trace = &k.trace;  // (the JIT's region events)
  hold->bc->records = &k.records;  // (the same as records for the inspector)
  hold->bc->rec_pid = pid;
  hold->bc->rec_tid = tid;
  const CpuException ex = __builtin_expect(k.debugger != nullptr, 0) ? k.debugger->run(*this, *hold->bc, budget)
                                                                     : gb::run(cpu, *hold->bc, budget);
  retired_mm_.reset();
  k.code_pool.collect();  // (caches let go during the slice: no run loop is inside them now)
  if (ex.kind != CpuException::NONE && !exited) handle_exception(ex);
  flush_exit_event();
}

void Task::flush_exit_event() {
  if (!exit_event_due_) return;
  exit_event_due_ = false;
  if (k.records.enabled()) record_exit(*this, killed_by ? killed_by : (exit_code & 0xff) << 8);
  if (!k.trace.enabled()) return;
  TraceEvent ev = k.trace.make(TraceKind::Exit, pid, tid, cpu.icount);
  if (killed_by) {
    ev.ret = killed_by;
    ev.nr = (uint16_t)killed_by;
    const char* n = signal_name(killed_by);
    ev.set_text(std::string("killed by ") + (n ? n : std::to_string(killed_by)));
  } else {
    ev.ret = (exit_code & 0xff) << 8;
    ev.set_text("exited with " + std::to_string(exit_code));
  }
  k.trace.emit(ev);
}

static std::string hex(uint64_t v) {
  char b[32];
  snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

void Task::handle_exception(const CpuException& ex) {
  if (ex.kind == CpuException::PAGE_FAULT && ex.oom) return k.out_of_memory(*this);
  int sig = LSIGSEGV;
  std::string what;
  switch (ex.kind) {
    case CpuException::PAGE_FAULT:
      if (ex.bus) {
        sig = LSIGBUS;
        what = "address " + hex(ex.addr) + ", beyond the end of a mapped file";
      } else {
        what = "address " + hex(ex.addr) + ", " +
               (!ex.mapped ? std::string("not mapped")
                           : ex.write ? std::string("not writable") : std::string("no access"));
      }
      break;
    case CpuException::GP: what = "general protection fault"; break;
    case CpuException::DIV: sig = LSIGFPE; what = "integer divide error"; break;
    case CpuException::TRAP: sig = LSIGTRAP; what = "breakpoint"; break;
    case CpuException::FPE: sig = LSIGFPE; what = "floating-point exception, code " + std::to_string(ex.code); break;
    default: what = "unknown exception"; break;
  }
  // The inspector's signal breakpoint: stop with rip at the faulting instruction (it runs again on resume).
  if (__builtin_expect(k.debugger != nullptr, 0) && k.debugger->signal_stop(*this, sig)) return;
  if (k.trace.enabled()) {
    TraceEvent ev = k.trace.make(TraceKind::Fault, pid, tid, cpu.icount);
    ev.nr = (uint16_t)sig;
    ev.args[0] = ex.addr;
    ev.args[1] = cpu.rip;
    ev.set_text(what);
    k.trace.emit(ev);
  }
  lx_siginfo si = make_siginfo(sig, LSI_KERNEL);
  switch (ex.kind) {
    case CpuException::PAGE_FAULT:
      si.si_code = ex.bus ? LBUS_ADRERR : ex.mapped ? LSEGV_ACCERR : LSEGV_MAPERR;
      si.u.fault.addr = ex.addr;
      break;
    case CpuException::DIV: si.si_code = LFPE_INTDIV; si.u.fault.addr = cpu.rip; break;
    case CpuException::FPE: si.si_code = ex.code; si.u.fault.addr = cpu.rip; break;
    case CpuException::TRAP: {
      // int3 is a trap: rip goes past it (CC, or CD 03), si_code SI_KERNEL, no address,
      // as Linux reports it (debuggers step back one byte over their breakpoints).
      uint8_t op = 0;
      mem->copy_in(&op, cpu.rip, 1);
      cpu.rip += op == 0xcc ? 1 : 2;
      si.si_code = LSI_KERNEL;
      break;
    }
    default: break;  // #GP: SI_KERNEL, address 0
  }
  force_signal(sig, si, std::string("guest ") + signal_name(sig) + " at " + hex(cpu.rip) + " (" + what + ")");
}

uint64_t Task::rdtsc() { return trace_now_ns(); }  // a 1 GHz time stamp counter

void Task::illegal_instruction(Cpu& c, uint64_t rip, const uint8_t* bytes, int n) {
  std::string b;
  for (int i = 0; i < n; i++) {
    char x[4];
    snprintf(x, sizeof x, "%02x", bytes[i]);
    if (i) b += ' ';
    b += x;
  }
  if (k.log_once("insn:" + b.substr(0, 8)))
    k.message("unknown instruction at " + hex(rip) + ": " + b + " (delivering SIGILL)");
  if (k.trace.enabled()) {
    TraceEvent ev = k.trace.make(TraceKind::Fault, pid, tid, cpu.icount);
    ev.nr = LSIGILL;
    ev.args[1] = rip;
    ev.set_text("illegal instruction: " + b);
    k.trace.emit(ev);
  }
  lx_siginfo si = make_siginfo(LSIGILL, LILL_ILLOPN);
  si.u.fault.addr = rip;
  c.rip = rip;
  c.stop = true;
  force_signal(LSIGILL, si, "guest SIGILL at " + hex(rip) + " (illegal or unimplemented instruction)");
}

// ---- helpers --------------------------------------------------------------------------

int Task::get_path(uint64_t addr, std::string& out) {
  if (!addr) return -LX_EFAULT;
  if (!mem->read_cstr(addr, out, Vfs::kPathMax + 1)) {
    return out.size() > Vfs::kPathMax ? -LX_ENAMETOOLONG : -LX_EFAULT;
  }
  if (out.size() >= Vfs::kPathMax) return -LX_ENAMETOOLONG;
  return 0;
}

int Task::at_base(int dirfd, Loc& out) {
  if (dirfd == LAT_FDCWD) { out = cwd; return 0; }
  FileRef f = fds.get(dirfd);
  if (!f) return -LX_EBADF;
  if (!f->node->is_dir()) return -LX_ENOTDIR;
  out = f->loc.node ? f->loc : Loc{f->node, "/"};
  return 0;
}

int Task::resolve_at(int dirfd, const std::string& path, bool follow, Loc& out, bool allow_empty, bool must_dir) {
  Loc base;
  if (path.empty() && allow_empty) {
    if (dirfd == LAT_FDCWD) { out = cwd; return 0; }
    FileRef f = fds.get(dirfd);
    if (!f) return -LX_EBADF;
    out = Loc{f->node, f->loc.path};
    return 0;
  }
  if (path.empty()) return -LX_ENOENT;
  if (path[0] != '/') {
    int e = at_base(dirfd, base);
    if (e < 0) return e;
  } else {
    base = cwd;
  }
  ResolveOpts o;
  o.follow = follow;
  o.must_dir = must_dir;
  return k.vfs.resolve(root, base, path, o, out);
}

int Task::resolve_parent_at(int dirfd, const std::string& path, Loc& dir, std::string& last, bool* trailing) {
  if (path.empty()) return -LX_ENOENT;
  Loc base = cwd;
  if (path[0] != '/') {
    int e = at_base(dirfd, base);
    if (e < 0) return e;
  }
  return k.vfs.resolve_parent(root, base, path, dir, last, trailing);
}

}  // namespace gb
