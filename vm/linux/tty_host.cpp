// vm/linux/tty_host.cpp — the kernel's side of the terminal layer: the TtyHost that
// vm/linux/tty.cpp asks about the calling task (session, process group, controlling
// terminal, signal dispositions) and through which it sends job-control signals.
#include "vm/linux/kernel.h"
#include "vm/linux/sys_common.h"
#include "vm/linux/tty.h"

namespace gb {

namespace {

class KernelTtyHost : public TtyHost {
 public:
  explicit KernelTtyHost(Kernel& k) : k_(k) {}
  Task* cur() { return k_.current && !k_.current->exited ? k_.current : nullptr; }
  int caller_pid() override { return cur() ? cur()->pid : 0; }
  int caller_pgid() override { return cur() ? cur()->pgid : 0; }
  int caller_sid() override { return cur() ? cur()->sid : 0; }
  std::shared_ptr<Tty> caller_ctty() override { return cur() ? cur()->ctty : nullptr; }
  void set_caller_ctty(std::shared_ptr<Tty> t) override {
    Task* p = cur();
    if (!p) return;
    for (Task* q : k_.procs)  // the whole process (every thread)
      if (q->pid == p->pid) q->ctty = t;
  }
  void clear_session_ctty(int sid, const Tty* t) override {
    for (Task* q : k_.procs)
      if (q->sid == sid && q->ctty.get() == t) q->ctty.reset();
  }
  void signal_pgrp(int pgrp, int sig) override {
    k_.signal_pgrp(pgrp, sig, make_siginfo(sig, LSI_KERNEL));
  }
  void signal_process(int pid, int sig) override {
    if (Task* p = k_.find_leader(pid))
      if (!p->tg->zombie) k_.signal_process(*p, sig, make_siginfo(sig, LSI_KERNEL));
  }
  int session_of_pgrp(int pgrp) override {
    for (Task* q : k_.procs)
      if (q->is_leader() && q->pgid == pgrp && !q->tg->zombie) return q->sid;
    return 0;
  }
  bool pgrp_is_orphaned(int pgrp) override {
    for (Task* q : k_.procs) {
      if (!q->is_leader() || q->pgid != pgrp || q->tg->zombie) continue;
      Task* par = q->ppid > 1 ? k_.find_leader(q->ppid) : nullptr;
      if (par && !par->tg->zombie && par->pgid != pgrp && par->sid == q->sid) return false;
    }
    return true;
  }
  bool caller_ignores_or_blocks(int sig) override {
    Task* p = cur();
    if (!p) return true;
    return p->sigact[sig].handler == 1 || (p->sigmask & (1ull << (sig - 1)));
  }
  uint64_t now_ns() override { return Task::now_ns(); }
  uint64_t call_deadline_ns(uint64_t rel_ns) override {
    Task* p = cur();
    if (!p) return Task::now_ns() + rel_ns;
    const uint64_t d = p->deadline_for(rel_ns);
    p->wake_at(d);
    return d;
  }
  void wake_at_ns(uint64_t abs_ns) override {
    if (Task* p = cur()) p->wake_at(abs_ns);
  }

 private:
  Kernel& k_;
};

}  // namespace

std::unique_ptr<TtyHost> make_kernel_tty_host(Kernel& k) { return std::make_unique<KernelTtyHost>(k); }

std::shared_ptr<Tty> attach_console(Task& p, uint16_t rows, uint16_t cols) {
  std::shared_ptr<Tty> con = open_console(*p.k.devpts, rows, cols);
  FileRef f;
  if (open_inode(p.k.phys->shared, Loc{con->slave_node(), con->name()}, LO_RDWR | LO_NOCTTY, f) < 0) return nullptr;
  for (int fd = 0; fd < 3; fd++) p.fds.install(fd, f, false);
  p.sid = p.pgid = p.pid;
  con->attach_session(p.pid, p.pid);
  p.ctty = con;
  return con;
}

}  // namespace gb
