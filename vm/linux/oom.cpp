// vm/linux/oom.cpp — the OOM killer. The machine's guest memory is one budget of frames
// (FramePool, --mem-limit). mmap/brk refuse what can never fit (ENOMEM, sys_mem.cpp);
// when a page fault on memory that is already mapped finds the budget spent, the
// process holding the most resident pages is killed with SIGKILL, as Linux's OOM
// killer does, with a line on the terminal. The faulting task retries its instruction
// (its rip still points at it) unless it was the one killed.
#include "vm/linux/kernel.h"

namespace gb {

void Kernel::out_of_memory(Task& faulting) {
  Task* victim = nullptr;
  uint64_t most = 0;
  for (Task* p : procs) {
    if (!p->is_leader() || p->tg->zombie || p->tg->exiting || !p->mm) continue;
    const uint64_t pages = p->mem->resident_pages();
    if (!victim || pages > most) { victim = p; most = pages; }
  }
  if (!victim) victim = &faulting;
  std::string name = victim->exe;
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  alert("Out of memory: killed process " + std::to_string(victim->pid) + " (" + name + "), " +
          std::to_string(most * (PAGE / 1024)) + " kB resident; guest memory budget " +
          std::to_string(phys->frames.limit_bytes() >> 20) + " MiB");
  lx_siginfo si = make_siginfo(LSIGKILL, LSI_KERNEL);
  signal_process(*victim, LSIGKILL, si);
  faulting.cpu.stop = true;
}

}  // namespace gb
