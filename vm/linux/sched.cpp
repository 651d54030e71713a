// vm/linux/sched.cpp — tasks on one host thread: creation (init, clone), the scheduler,
// idle waiting, exit and zombies, and the parent/child relation (docs/processes.md).
//
// Index
//   1. Task creation: Kernel::create_init, adopt, the clone constructor
//   2. Scheduler: Kernel::run, wakeable, run_to_exit, idle_wait, timers
//   3. Exit: exit_now (exit_group), exit_thread (exit), kill_with, end_task
//   4. Parents and children: notify_parent, reap, lookups
//
// Design notes
//   * A task runs until its slice is spent, it parks (a syscall returned kBlock), or it
//     ends. A parked task is retried when the wait generation moved, its deadline
//     passed or a signal arrived; the retry re-executes the syscall (kernel.h).
//   * Threads that end are deleted between slices (collect_dead); a process whose last
//     thread ended stays as a zombie leader until wait4/waitid reaps it, unless nobody
//     will: its parent is outside the VM (ppid 1) or ignores SIGCHLD.
#include <poll.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "vm/linux/kernel.h"
#include "vm/linux/net_out.h"
#include "vm/linux/rectrace.h"
#include "vm/linux/debug.h"
#include "vm/linux/sys_common.h"
#include "vm/linux/syscall.h"
#include "vm/linux/tty.h"

namespace gb {

// ---- 1. task creation ---------------------------------------------------------------------

Task* Kernel::create_init(int pid) {
  next_pid_ = std::max(next_pid_, pid + 1);
  auto t = std::make_unique<Task>(*this, pid);
  // Like a program started from a script: in the session and process group of whoever
  // started the VM (1, outside), not a leader. attach_console() makes it a session leader.
  t->pgid = t->sid = 1;
  init = t.get();
  return adopt(std::move(t));
}

Task* Kernel::adopt(std::unique_ptr<Task> t) {
  owned_.push_back(std::move(t));
  return owned_.back().get();
}

int Kernel::alloc_pid() {
  for (;;) {
    const int pid = next_pid_++;
    if (next_pid_ > 4000000) next_pid_ = 300;
    if (!find_task(pid) && !find_leader(pid)) return pid;
  }
}

Task::Task(Kernel& kern, Task& par, uint64_t fl, int new_tid)
    : k(kern), pid((fl & LCLONE_THREAD) ? par.pid : new_tid), tid(new_tid),
      ppid((fl & (LCLONE_THREAD | LCLONE_PARENT)) ? par.ppid : par.pid), pgid(par.pgid), sid(par.sid),
      fdt((fl & LCLONE_FILES) ? par.fdt : std::make_shared<FdTable>(*par.fdt)), fds(*fdt),
      fsi((fl & LCLONE_FS) ? par.fsi : std::make_shared<FsInfo>(*par.fsi)),
      root(fsi->root), cwd(fsi->cwd), umask(fsi->umask),
      sighand((fl & LCLONE_SIGHAND) ? par.sighand : std::make_shared<SigHand>(*par.sighand)),
      sigact(sighand->act) {
  uid = par.uid; euid = par.euid; suid = par.suid;
  gid = par.gid; egid = par.egid; sgid = par.sgid;
  groups = par.groups;
  cpu = par.cpu;
  cpu.host = this;
  cpu.stop = false;
  mm = (fl & LCLONE_VM) ? par.mm : std::make_shared<Mm>(par.mem->clone_cow());
  mem = mm->as.get();
  cpu.mem = mem;
  if (fl & LCLONE_THREAD) {
    tg = par.tg;
  } else {
    tg = std::make_shared<ThreadGroup>();
    tg->tgid = pid;
  }
  tg->threads.push_back(this);
  ctty = par.ctty;
  exe = par.exe;
  cmdline = par.cmdline;
  environ = par.environ;
  saved_auxv = par.saved_auxv;
  persona = par.persona;
  sigmask = par.sigmask;
  // A thread sharing the memory starts without the alternate stack; fork/vfork keep it.
  if ((fl & (LCLONE_VM | LCLONE_VFORK)) != LCLONE_VM) altstack = par.altstack;
  memcpy(rlim, par.rlim, sizeof rlim);
  icount_base = cpu.icount;
  cpu.jit = JitCounts{};  // (clone copied the parent's counters: its figures start at 0)
  start_ns = trace_now_ns();
  k.counters.tasks_created++;
  k.procs.push_back(this);
}

// ---- 2. scheduler ---------------------------------------------------------------------

uint64_t Task::now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t Task::deadline_for(uint64_t rel_ns) {
  if (!restarting || !block_deadline) {
    const uint64_t now = now_ns();
    block_deadline = rel_ns > ~0ull - now ? ~0ull : now + rel_ns;
  }
  return block_deadline;
}

Task* Kernel::find_task(int tid) {
  for (Task* p : procs)
    if (p->tid == tid && !p->exited) return p;
  return nullptr;
}

Task* Kernel::find_leader(int pid) {
  for (Task* p : procs)
    if (p->tid == pid && p->pid == pid) return p;
  return nullptr;
}

// Whether a parked task should be retried now.
bool Kernel::wakeable(Task& t, uint64_t now) {
  if (t.vfork_child) return false;  // resumes when the child execs or exits (not a retry)
  if (t.pt.trap || t.pt.event) return true;  // PTRACE_INTERRUPT, PTRACE_EVENT_EXIT
  if (t.park_gen != waits.generation()) return true;
  if (t.wake_at_ns && now >= t.wake_at_ns) return true;
  return t.signal_deliverable();
}

void Kernel::check_timers(uint64_t now) {
  for (size_t i = 0; i < procs.size(); i++) {
    Task* p = procs[i];
    if (!p->is_leader() || p->tg->zombie || !p->tg->real_deadline || now < p->tg->real_deadline) continue;
    ThreadGroup& g = *p->tg;
    g.real_deadline = g.real_interval ? now + g.real_interval : 0;
    lx_siginfo si = make_siginfo(LSIGALRM, LSI_KERNEL);
    signal_process(*p, LSIGALRM, si);
  }
}

uint64_t Kernel::task_cpu_ns(const Task& p) const {
  return p.cpu_ns + (current == &p && slice_start_ns ? Task::now_ns() - slice_start_ns : 0);
}
uint64_t Kernel::group_cpu_ns(const Task& p) const {
  return p.tg->cpu_ns + (current && current->tg == p.tg && slice_start_ns ? Task::now_ns() - slice_start_ns : 0);
}

// ITIMER_VIRTUAL and ITIMER_PROF count the CPU time of the process's slices.
void Kernel::charge_itimers(Task& t, uint64_t dt) {
  ThreadGroup& g = *t.tg;
  struct { uint64_t* left; uint64_t* interval; int sig; } timers[2] = {
      {&g.virt_left, &g.virt_interval, LSIGVTALRM}, {&g.prof_left, &g.prof_interval, LSIGPROF}};
  for (auto& tm : timers) {
    if (!*tm.left) continue;
    if (*tm.left > dt) { *tm.left -= dt; continue; }
    *tm.left = *tm.interval;
    if (Task* leader = find_leader(t.pid)) signal_process(*leader, tm.sig, make_siginfo(tm.sig, LSI_KERNEL));
  }
}

void Kernel::collect_dead() {
  for (size_t i = 0; i < owned_.size();) {
    Task* t = owned_[i].get();
    // A dead non-leader thread goes at once; a leader stays while its group lives or
    // while it is a zombie nobody reaped.
    // (A traced thread that ended stays until its tracer has waited for it.)
    const bool gone = t->state == Task::State::Dead && (!t->is_leader() ? !t->traced() || t->reaped_ : t->reaped_) &&
                      t != init;
    if (gone) {
      if (current == t) current = nullptr;
      owned_.erase(owned_.begin() + (long)i);
      if (rr_ > i) rr_--;
    } else {
      i++;
    }
  }
}

Kernel::RunResult Kernel::run(uint64_t budget) {
  RunResult res;
  uint64_t spent = 0;
  while (spent < budget) {
    collect_dead();
    if (!init || init->tg->zombie) { res.state = RunResult::Done; return res; }
    if (net) net->pump();  // [net] frames to and from the relay (net_out.cpp)
    const uint64_t now = Task::now_ns();
    check_timers(now);
    // Pick the next task that can run, round-robin.
    Task* t = nullptr;
    const size_t n = owned_.size();
    for (size_t j = 0; j < n && !t; j++) {
      Task* c = owned_[(rr_ + j) % n].get();
      if (c->state == Task::State::Dead || c->pt.stop != PtStop::None) continue;
      if ((c->tg->stopped && !c->traced()) || c->pt.listening) continue;
      if (c->state == Task::State::Blocked) {
        if (!wakeable(*c, now)) continue;
        c->state = Task::State::Runnable;
        c->restarting = !c->vfork_child_done_;
        c->vfork_child_done_ = false;
        c->wake_at_ns = 0;
        c->host_fds.clear();
        // (A traced call is retried first: the signal then gets its delivery stop; ptrace.cpp.)
        if (c->restarting && c->signal_deliverable() && !c->traced()) c->interrupt_syscall();
      }
      t = c;
      rr_ = (rr_ + j + 1) % n;
    }
    if (!t) {
      // Everyone sleeps: report the earliest deadline.
      res.state = RunResult::Idle;
      res.wake_at_ns = 0;
      host_waits.clear();
      for (auto& o : owned_) {
        Task& c = *o;
        if (c.state != Task::State::Blocked) continue;
        if (c.wake_at_ns && (!res.wake_at_ns || c.wake_at_ns < res.wake_at_ns)) res.wake_at_ns = c.wake_at_ns;
        for (auto& h : c.host_fds) host_waits.push_back(h);
      }
      for (Task* p : procs)
        if (p->is_leader() && p->tg->real_deadline && (!res.wake_at_ns || p->tg->real_deadline < res.wake_at_ns))
          res.wake_at_ns = p->tg->real_deadline;
      return res;
    }
    int how = 0;  // ptrace: 1 the task (stays) stopped, 2 single-step
    if (t->traced() && (how = ptrace_before_run(*t)) == 1) continue;
    // (A traced syscall resumed after its entry stop, or retried after a park, runs before
    // signals: they get their delivery stop after it, as Linux orders them.)
    if (!t->pt.entry_done && !(t->traced() && t->restarting)) t->deliver_signals();
    t->flush_exit_event();
    if (t->state != Task::State::Runnable || t->pt.stop != PtStop::None) continue;
    if ((t->tg->stopped && !t->traced()) || t->pt.listening) continue;
    if (how == 2) {
      const uint64_t n = ptrace_single_step(*t);
      spent += n;
      counters.instructions += n;
      continue;
    }
    const uint64_t before = t->cpu.icount;
    const JitCounts jit_before = t->cpu.jit;
    const uint64_t slice = std::min<uint64_t>(kSlice, budget - spent);
    slice_start_ns = Task::now_ns();
    t->run_slice(slice);
    const uint64_t dt = Task::now_ns() - slice_start_ns;
    slice_start_ns = 0;
    t->cpu_ns += dt;
    t->tg->cpu_ns += dt;
    charge_itimers(*t, dt);
    if (__builtin_expect(records.enabled(), 0) && !t->exited) record_stat_due(*t);  // (an ended task had its Exit)
    counters.instructions += t->cpu.icount - before;
    t->cpu.jit.add_since(jit_before, counters);
    spent += std::max<uint64_t>(t->cpu.icount - before, 1);
    if (t->state == Task::State::Runnable && !t->exited && !t->pt.exit_due && !t->pt.event) t->deliver_signals();
    t->flush_exit_event();
    if (__builtin_expect(debugger != nullptr, 0) && debugger->halted) return res;  // the inspector stopped the machine
  }
  return res;
}

bool Kernel::idle_wait(uint64_t wake_at_ns) {
  std::vector<std::pair<int, short>> fds = host_waits;
  if (add_host_fds) add_host_fds(fds);
  const uint64_t now = Task::now_ns();
  const bool net_busy = net && net->busy();  // [net] open relay streams may still wake a task
  if (fds.empty() && !wake_at_ns && !net_busy) return false;
  int timeout_ms = -1;
  if (wake_at_ns) timeout_ms = wake_at_ns <= now ? 0 : (int)std::min<uint64_t>((wake_at_ns - now + 999999) / 1000000, 1000);
  if (net_busy) {
    const int nfd = net->fd();
    if (nfd < 0 || fds.empty()) {  // wait on the relay alone (node: Atomics.wait; native: its socket)
      if (fds.empty()) { net->wait(timeout_ms); waits.wake(); return true; }
      timeout_ms = timeout_ms < 0 ? 20 : std::min(timeout_ms, 20);  // node with host fds: poll both
      net->pump();
    } else {
      fds.push_back({nfd, POLLIN});
    }
  }
#if !defined(__EMSCRIPTEN__)
  std::vector<struct pollfd> pf;
  for (auto& [fd, ev] : fds) pf.push_back({fd, ev, 0});
  const int r = ::poll(pf.data(), pf.size(), timeout_ms);
  if (r > 0) {
    if (on_host_ready) on_host_ready();
    if (net) net->pump();
    waits.wake();
  }
#else
  // node: host fds are files or pipes the engine reads synchronously; just sleep.
  if (!fds.empty()) {
    if (on_host_ready) on_host_ready();
    waits.wake();
  } else if (timeout_ms > 0) {
    host_sleep_ns((int64_t)timeout_ms * 1000000);
  }
#endif
  return true;
}

int Kernel::run_to_exit() {
  for (;;) {
    RunResult r = run(1ull << 26);
    if (r.state == RunResult::Done) break;
    if (r.state == RunResult::Idle && !idle_wait(r.wake_at_ns)) {
      std::string who;
      for (Task* p : procs) {
        if (p->state == Task::State::Dead) continue;
        const char* n = p->state == Task::State::Blocked ? SyscallTable::name(p->cpu.r[RAX]) : nullptr;
        who += " " + std::to_string(p->tid) + ":" +
               (p->tg->stopped ? std::string("stopped")
                : p->vfork_child ? std::string("vfork")
                : p->state == Task::State::Blocked ? std::string(n ? n : "?") : std::string("runnable"));
      }
      message("every guest task waits and nothing outside can wake them (deadlock); ending the program. Tasks:" + who);
      if (init) {
        lx_siginfo si = make_siginfo(LSIGKILL, LSI_KERNEL);
        for (Task* p : std::vector<Task*>(procs))
          if (p->is_leader() && !p->tg->zombie) signal_process(*p, LSIGKILL, si);
      }
    }
  }
  const int st = init_status;
  if (st < 0) return 1;
  if (st & 0x7f) return 128 + (st & 0x7f);
  return (st >> 8) & 0xff;
}

// ---- 3. exit ------------------------------------------------------------------------------

// Ends every other thread of the group, then this one, with wait status `status`.
static void end_group(Task& p, int status) {
  ThreadGroup& g = *p.tg;
  if (g.exiting) return;
  g.exiting = true;
  g.exit_status = status;
  for (Task* t : std::vector<Task*>(g.threads)) {
    if (t == &p || t->exited) continue;
    t->exited = true;
    t->exit_code = p.exit_code;
    t->killed_by = p.killed_by;
    t->end_task();
  }
}

void Task::exit_now(int code) {
  if (exited) return;
  exit_code = code & 0xff;
  end_group(*this, exit_code << 8);
  exited = true;
  cpu.stop = true;
  regs_replaced = true;
  exit_event_due_ = true;  // emitted after the syscall's own event (flush_exit_event)
  end_task();
}

void Task::exit_thread(int code) {
  if (exited) return;
  if (tg->threads.size() <= 1) { exit_now(code); return; }
  exited = true;
  exit_code = code & 0xff;
  cpu.stop = true;
  regs_replaced = true;
  end_task();
}

void Task::kill_with(int sig, const std::string& reason) {
  if (exited) return;
  killed_by = sig;
  core_dumped = signal_default_cores(sig);
  end_group(*this, sig | (core_dumped ? 0x80 : 0));
  exited = true;
  cpu.stop = true;
  regs_replaced = true;
  if (!reason.empty()) k.message(reason);
  exit_event_due_ = true;
  end_task();
}

void Task::end_task() {
  state = State::Dead;
  pt.stop = PtStop::None;  // (a tracee killed while stopped: its tracer sees the exit)
  pt.report = false;
  tg->icount_dead += cpu.icount - icount_base;
  // pthread_join: the kernel clears the child tid word and wakes its futex.
  if (clear_child_tid && mm.use_count() > 1) {
    const uint32_t zero = 0;
    try { mem->copy_out(clear_child_tid, &zero, 4); } catch (...) {}
    futex_wake(k, mm.get(), clear_child_tid, 1);
  }
  clear_child_tid = 0;
  if (vfork_parent) {
    if (Task* par = k.find_task(vfork_parent)) {
      par->vfork_child = 0;
      par->vfork_child_done_ = true;
      if (par->traced()) ptrace_vfork_done(*par, tid);
    }
    vfork_parent = 0;
  }
  auto& th = tg->threads;
  th.erase(std::remove(th.begin(), th.end(), this), th.end());
  // Files go now (pipe ends close: readers see EOF); the memory goes when the last
  // thread does (below).
  // (Dead threads still hold the shared table until they are collected: count the live.)
  bool table_shared = false;
  for (Task* q : k.procs)
    if (q != this && !q->exited && q->fdt == fdt) table_shared = true;
  if (!table_shared) fds.close_all();
  k.waits.wake();
  if (!is_leader() && traced()) ptrace_thread_exited(*this);  // its tracer waits for it
  if (!th.empty()) return;
  // The last thread: the process becomes a zombie.
  ThreadGroup& g = *tg;
  if (!g.exiting) { g.exiting = true; g.exit_status = killed_by ? (killed_by | (core_dumped ? 0x80 : 0)) : exit_code << 8; }
  g.zombie = true;
  // The memory goes now, as with Linux's exit_mm: a zombie holds none (so the OOM
  // killer's victim frees its pages at once). A vfork parent may still share it.
  bool mm_in_use = false;
  for (Task* q : k.procs)
    if (q != this && !q->exited && q->mm == mm) mm_in_use = true;
  if (!mm_in_use) {
    // First, while it is still mapped: its code goes to the pool (hashed page by page;
    // or cleared, its compiled regions going as "process gone", not page by page).
    k.code_pool.put(mm->exe_key, mm->take_code(), *mem);
    mem->release_all();
  }
  Task* leader = k.find_leader(pid);
  // Orphans: the children of this process now belong to "init" (outside the VM).
  for (Task* c : std::vector<Task*>(k.procs)) {
    if (c->ppid != pid || c->pid == pid) continue;
    c->ppid = 1;
    if (c->is_leader() && c->tg->zombie) k.reap(*c);
  }
  ptrace_tracer_gone(k, pid);  // its tracees are detached (or killed: PTRACE_O_EXITKILL)
  if (k.init && pid == k.init->pid) k.init_status = g.exit_status;
  if (auto w = k.watched_exits.find(pid); w != k.watched_exits.end()) w->second = g.exit_status;
  if (sid == pid && ctty) ctty->session_leader_exited(sid);  // SIGHUP to the foreground group
  if (leader) {
    const int code = (g.exit_status & 0x7f) ? ((g.exit_status & 0x80) ? LCLD_DUMPED : LCLD_KILLED) : LCLD_EXITED;
    k.notify_parent(*leader, code, (g.exit_status & 0x7f) ? (g.exit_status & 0x7f) : (g.exit_status >> 8) & 0xff);
  }
}

void FdTable::close_all() {
  for (int fd : list()) close(fd);
}

// ---- 4. parents and children ----------------------------------------------------------

void Kernel::notify_parent(Task& leader, int code, int status) {
  Task* parent = leader.ppid > 1 ? find_leader(leader.ppid) : nullptr;
  const bool exit_report = code == LCLD_EXITED || code == LCLD_KILLED || code == LCLD_DUMPED;
  if (exit_report && leader.traced()) {
    // A traced process's end goes to its tracer first (wait4 there); the parent hears of
    // it when the tracer has reaped it or detached (ptrace.cpp).
    Task* tr = find_leader(leader.pt.tracer);
    if (tr && !tr->tg->zombie) {
      if (tr->sigact[LSIGCHLD].handler != 1 && (tr != parent || leader.exit_signal > 0)) {
        lx_siginfo si = make_siginfo(LSIGCHLD, code, leader.pid, leader.uid);
        si.u.chld.status = status;
        signal_process(*tr, LSIGCHLD, si);
      }
      waits.wake();
      return;
    }
    leader.pt = PtraceState{};
  }
  if (!parent || parent->tg->zombie) {
    if (exit_report) reap(leader);
    return;
  }
  const lx_sigaction& act = parent->sigact[LSIGCHLD];
  if (exit_report && (act.handler == 1 || (act.flags & LSA_NOCLDWAIT))) {
    // Nobody will wait: no zombie (Linux: SIG_IGN or SA_NOCLDWAIT for SIGCHLD).
    reap(leader);
    waits.wake();
    return;
  }
  if (!exit_report && (act.flags & LSA_NOCLDSTOP)) { waits.wake(); return; }
  if (leader.exit_signal > 0 || !exit_report) {
    lx_siginfo si = make_siginfo(exit_report ? leader.exit_signal : LSIGCHLD, code, leader.pid, leader.uid);
    si.u.chld.status = status;
    signal_process(*parent, exit_report ? leader.exit_signal : LSIGCHLD, si);
  }
  waits.wake();
}

void Kernel::reap(Task& leader) {
  if (leader.reaped_) return;
  leader.reaped_ = true;
  if (Task* parent = leader.ppid > 1 ? find_leader(leader.ppid) : nullptr)
    parent->tg->child_icount += leader.tg->icount_dead + leader.tg->child_icount,
    parent->tg->child_cpu_ns += leader.tg->cpu_ns + leader.tg->child_cpu_ns;
  leader.state = Task::State::Dead;
  waits.wake();
}

}  // namespace gb
