// vm/linux/debug.cpp — pause, step, run to a system call, breakpoints (see debug.h).
#include "vm/linux/debug.h"

#include <algorithm>

#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/linux/debug_lines.h"
#include "vm/linux/kernel.h"
#include "vm/mem/address_space.h"

namespace gb {

// [SECTION] one instruction: step_one() of vm/cpu/interp.h

namespace {

// Whether the instruction at rip is `syscall` (0f 05); false if it cannot be read.
bool at_syscall(Cpu& cpu, uint64_t rip) {
  uint8_t b[2];
  try {
    if (!cpu.mem->copy_in(b, rip, 2)) return false;
  } catch (...) {
    return false;
  }
  return b[0] == 0x0f && b[1] == 0x05;
}

bool is_ret(const Insn& in) { return in.map == M1 && (in.opc == 0xc3 || in.opc == 0xc2); }

}  // namespace

// [SECTION] commands
void Debugger::halt(Reason r, int pid, int tid) {
  halted = true;
  reason = r;
  stop_pid = pid;
  stop_tid = tid;
  stops++;
  if (r != Signal) stop_signal = 0;
  step_tid_ = syscall_tid_ = over_tid_ = out_tid_ = 0;
}

void Debugger::skip_from(Kernel& k, int tid) {
  skip_tid_ = 0;
  if (Task* t = tid ? k.find_task(tid) : nullptr) {
    skip_tid_ = tid;
    skip_rip_ = t->cpu.rip;
    skip_icount_ = t->cpu.icount;
  }
}

void Debugger::resume(Kernel& k) {
  if (halted) skip_from(k, stop_tid);
  if (halted && reason == Signal) {  // that delivery goes through now
    Task* t = k.find_task(stop_tid);
    pass_tid_ = stop_tid;
    pass_sig_ = stop_signal;
    pass_icount_ = t ? t->cpu.icount : 0;
  }
  halted = false;
  reason = None;
  step_tid_ = syscall_tid_ = over_tid_ = out_tid_ = 0;
}

void Debugger::step(Kernel& k, int tid) {
  resume(k);
  skip_from(k, tid);
  step_tid_ = tid;
}

void Debugger::run_to_syscall(Kernel& k, int tid) {
  resume(k);
  skip_from(k, tid);
  syscall_tid_ = tid;
}

void Debugger::step_over(Kernel& k, int tid) {
  Task* t = k.find_task(tid);
  if (!t) return;
  Insn in;
  DecodeError err;
  bool call = false;
  try {
    decode(*t->cpu.mem, t->cpu.rip, in, &err);
    call = in.len && in.map == M1 && (in.opc == 0xe8 || (in.opc == 0xff && (in.reg & 7) == 2));
  } catch (...) {
    call = false;
  }
  if (!call) return step(k, tid);
  resume(k);
  skip_from(k, tid);
  over_tid_ = tid;
  over_rip_ = t->cpu.rip + in.len;
  over_rsp_ = t->cpu.r[RSP];
}

void Debugger::step_out(Kernel& k, int tid) {
  Task* t = k.find_task(tid);
  if (!t) return;
  resume(k);
  skip_from(k, tid);
  out_tid_ = tid;
  out_rsp_ = t->cpu.r[RSP];
}

// [SECTION] signals
bool Debugger::signal_stop(Task& t, int sig) {
  if (halted || t.pid != target_pid) return false;
  if (std::find(signal_breaks.begin(), signal_breaks.end(), sig) == signal_breaks.end()) return false;
  if (t.tid == pass_tid_ && sig == pass_sig_ && t.cpu.icount == pass_icount_) return false;  // resumed from it
  halt(Signal, t.pid, t.tid);
  stop_signal = sig;
  return true;
}

// [SECTION] breakpoints
bool Debugger::watches(const Task& t) const {
  if (t.tid == step_tid_ || t.tid == syscall_tid_ || t.tid == over_tid_ || t.tid == out_tid_) return true;
  if (t.pid == target_pid && (!addr_breaks.empty() || !syscall_breaks.empty())) return true;
  for (const PathBreak& b : path_breaks)
    if (b.path == t.exe) return true;
  bool pathless = false;
  for (const LineBreak& b : line_breaks) {
    if (b.path == t.exe) return true;
    pathless |= b.path.empty();
  }
  return pathless && pathless_match(t);
}

// "hello.c:5" typed before ./hello ran names no program: it holds in every program whose
// line table has code for one of those lines (the DWARF read once per program path).
bool Debugger::pathless_match(const Task& t) const {
  auto it = pathless_.find(t.exe);
  if (it != pathless_.end()) return it->second;
  if (pathless_.size() > 256) pathless_.clear();
  std::string lines;
  bool pie = false, match = false;
  if (program_lines(t.k, t.exe, lines, pie))
    for (const LineBreak& b : line_breaks)
      if (b.path.empty() && !line_addresses(lines, b.file, b.line).empty()) { match = true; break; }
  pathless_[t.exe] = match;
  return match;
}

void Debugger::exec_done(const Task& t) {
  if (!pathless_.empty()) pathless_.erase(t.exe);
}

// Path and line breakpoints -> addresses in t's address space (once per address space,
// program and set of breakpoints; a line breakpoint reads the program's line table then).
void Debugger::resolve(Task& t) {
  if (resolved_mm_ == t.mm.get() && resolved_exe_ == t.exe && resolved_n_ == path_breaks.size() + line_breaks.size() &&
      resolved_gen_ == gen_)
    return;
  resolved_mm_ = t.mm.get();
  resolved_exe_ = t.exe;
  resolved_n_ = path_breaks.size() + line_breaks.size();
  resolved_gen_ = gen_;
  resolved_.clear();
  uint64_t base = 0;
  bool have_base = false;
  for (const auto& [start, v] : t.mem->vmas())
    if (v.file && v.file_off == 0 && v.name == t.exe) { base = v.start; have_base = true; break; }
  for (const PathBreak& b : path_breaks) {
    if (b.path != t.exe) continue;
    if (b.pie && !have_base) continue;
    resolved_.push_back(b.pie ? base + b.vaddr : b.vaddr);
  }
  std::string lines;
  bool pie = false, read = false;
  for (const LineBreak& b : line_breaks) {
    if (!b.path.empty() ? b.path != t.exe : !pathless_match(t)) continue;
    if (!read && !program_lines(t.k, t.exe, lines, pie)) break;
    read = true;
    if (pie && !have_base) break;
    for (uint64_t a : line_addresses(lines, b.file, b.line)) resolved_.push_back(pie ? base + a : a);
  }
}

bool Debugger::is_break(const Task& t, uint64_t rip) const {
  if (t.pid == target_pid && std::find(addr_breaks.begin(), addr_breaks.end(), rip) != addr_breaks.end()) return true;
  if (resolved_mm_ == t.mm.get() && std::find(resolved_.begin(), resolved_.end(), rip) != resolved_.end()) return true;
  return false;
}

bool Debugger::break_inside(const Task& t, uint64_t start, uint64_t end) const {
  if (t.pid == target_pid)
    for (uint64_t a : addr_breaks)
      if (a > start && a < end) return true;
  if (resolved_mm_ == t.mm.get())
    for (uint64_t a : resolved_)
      if (a > start && a < end) return true;
  return false;
}

// [SECTION] the run hook
CpuException Debugger::run(Task& t, BlockCache& bc, uint64_t budget) {
  Cpu& cpu = t.cpu;
  if (halted) { cpu.stop = false; return CpuException{}; }  // (Kernel::run returns at once)
  if (!watches(t)) return gb::run(cpu, bc, budget);
  if (!path_breaks.empty() || !line_breaks.empty()) resolve(t);
  const bool sys_watch = t.tid == syscall_tid_ || (t.pid == target_pid && !syscall_breaks.empty());
  const uint64_t limit = cpu.icount + budget;
  cpu.stop = false;
  CpuException ex;
  struct Hold {  // blocks run interpreted while watched: a region would run past breakpoints
    BlockCache& bc;
    explicit Hold(BlockCache& c) : bc(c) { bc.interpret_only = true; }
    ~Hold() { bc.interpret_only = false; }
  } hold(bc);
  while (cpu.icount < limit) {
    const uint64_t rip = cpu.rip;
    const bool skip = t.tid == skip_tid_ && rip == skip_rip_ && cpu.icount == skip_icount_;
    if (t.tid == skip_tid_) skip_tid_ = 0;  // (only its own first instruction is skipped)
    if (!skip && t.tid != step_tid_) {
      if (is_break(t, rip)) { halt(Breakpoint, t.pid, t.tid); break; }
      if (t.tid == over_tid_ && rip == over_rip_ && cpu.r[RSP] >= over_rsp_) { halt(Step, t.pid, t.tid); break; }
      if (sys_watch && !t.restarting && at_syscall(cpu, rip)) {
        const bool listed = std::find(syscall_breaks.begin(), syscall_breaks.end(), (uint32_t)cpu.r[RAX]) != syscall_breaks.end();
        if (t.tid == syscall_tid_ || (t.pid == target_pid && listed)) { halt(Syscall, t.pid, t.tid); break; }
      }
    }
    if (t.tid == step_tid_) {
      ex = step_one(cpu);
      halt(Step, t.pid, t.tid);
      break;
    }
    bool single = true;  // a block that cannot be decoded: one instruction (it faults as gb::run would)
    bool ret = false;    // step out: the instruction or block run ends with a `ret` (its pop, n instructions)
    uint64_t ret_pop = 0, n_run = 1;
    const Block* b = bc.find(rip);
    if (!b) {
      try { b = bc.get(*cpu.mem, rip); } catch (...) { b = nullptr; }
    }
    if (b) {
      single = break_inside(t, b->start, b->end) || (t.tid == over_tid_ && over_rip_ > b->start && over_rip_ < b->end);
      if (!single && sys_watch && b->n > 1) single = at_syscall(cpu, b->end - b->insns[b->n - 1].len);
      if (t.tid == out_tid_ && b->n) {
        const Insn& last = single ? b->insns[0] : b->insns[b->n - 1];
        ret = is_ret(last);
        ret_pop = last.opc == 0xc2 ? (last.imm & 0xffff) : 0;
        n_run = single ? 1 : b->n;
      }
    }
    const uint64_t ic0 = cpu.icount;
    ex = single ? step_one(cpu) : gb::run(cpu, bc, 1);
    // after a ret, rsp = its slot + 8 (+ imm16 of `ret imm16`): the slot was at or above out_rsp_
    if (ret && ex.kind == CpuException::NONE && cpu.icount - ic0 == n_run && cpu.r[RSP] - 8 - ret_pop >= out_rsp_) {
      halt(Step, t.pid, t.tid);
      break;
    }
    if (ex.kind != CpuException::NONE || cpu.stop || t.exited || t.state != Task::State::Runnable) break;
  }
  return ex;
}

}  // namespace gb
