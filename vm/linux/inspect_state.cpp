// vm/linux/inspect_state.cpp — see inspect_state.h.
#include "vm/linux/inspect_state.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "vm/jit/jit.h"
#include "vm/linux/debug.h"
#include "vm/linux/debug_lines.h"
#include "vm/linux/kernel.h"
#include "vm/mem/address_space.h"
#include "vm/trace/dwarf_lines.h"
#include "vm/trace/elf_symbols.h"
#include "vm/trace/state.h"

namespace gb {

namespace {

void put_text(std::string& out, StateTag tag, const std::string& s) { state_put(out, tag, s.data(), s.size()); }

// Reads [addr, addr+n) page by page; valid[i] = 1 where readable.
void read_guest(Task& t, uint64_t addr, uint32_t n, uint8_t* dst, uint8_t* valid) {
  memset(dst, 0, n);
  memset(valid, 0, n);
  uint32_t i = 0;
  while (i < n) {
    const uint64_t a = addr + i;
    const uint32_t chunk = (uint32_t)std::min<uint64_t>(n - i, 4096 - (a & 4095));
    bool ok = false;
    if (a >= addr)  // (no wrap past 2^64)
      try { ok = t.mem->vma_at(a) && t.mem->copy_in(dst + i, a, chunk); } catch (...) { ok = false; }
    if (ok) memset(valid + i, 1, chunk);
    else memset(dst + i, 0, chunk);
    i += chunk;
  }
}

}  // namespace

Task* inspect_task(Kernel& k, const Debugger& d, int tid) {
  Task* t = nullptr;
  if (tid) t = k.find_task(tid);
  if (!t && d.halted && d.stop_tid) t = k.find_task(d.stop_tid);
  if (!t && d.target_pid) t = k.find_leader(d.target_pid);
  if (t && (t->exited || !t->mem)) return nullptr;
  return t;
}

void inspect_state(Kernel& k, const Debugger& d, bool pinned, const StateRequest& q, std::string& out) {
  Task* t = inspect_task(k, d, q.tid);
  StatusState st{};
  st.halted = d.halted;
  st.reason = d.reason | (d.reason == Debugger::Signal ? (uint32_t)d.stop_signal << 8 : 0u);  // bits 8-15: the signal
  st.stop_pid = d.stop_pid;
  st.stop_tid = d.stop_tid;
  st.target_pid = d.target_pid;
  st.pinned = pinned;
  st.stops = d.stops;
  st.breaks = (uint32_t)(d.addr_breaks.size() + d.path_breaks.size() + d.syscall_breaks.size() + d.line_breaks.size() +
                         d.signal_breaks.size());
  if (t) {
    st.pid = t->pid;
    st.tid = t->tid;
    st.icount = t->cpu.icount;
    st.state = t->state == Task::State::Runnable ? 0 : t->state == Task::State::Blocked ? 1 : 2;
  }
  state_put(out, StateTag::Status, &st, sizeof st);
  if (!t) return;
  Cpu& c = t->cpu;
  if (q.regs) {
    RegsState r{};
    memcpy(r.r, c.r, sizeof r.r);
    r.rip = c.rip;
    r.rflags = c.get_rflags();
    r.fs_base = c.fs_base;
    r.gs_base = c.gs_base;
    memcpy(r.xmm, c.xmm, sizeof r.xmm);
    for (int i = 0; i < 8; i++) { r.st[i].mant = c.fpu.st[i].mant; r.st[i].se = c.fpu.st[i].se; }
    r.fcw = c.fpu.fcw;
    r.fsw = (uint16_t)((c.fpu.fsw & ~0x3800) | ((c.fpu.top & 7) << 11));
    r.ftw = c.fpu.ftw;
    r.top = c.fpu.top;
    r.mxcsr = c.mxcsr;
    state_put(out, StateTag::Regs, &r, sizeof r);
  }
  if (q.code_before + q.code_after) {
    const uint32_t n = std::min<uint32_t>(q.code_before + q.code_after, 4096);
    const uint64_t a = c.rip >= q.code_before ? c.rip - q.code_before : 0;
    std::vector<uint8_t> buf(16 + 2 * n);
    read_guest(*t, a, n, buf.data() + 16, buf.data() + 16 + n);
    // Code: the readable run holding rip (bytes before an unreadable gap are dropped).
    uint32_t lo = (uint32_t)(c.rip - a), hi = lo;
    while (lo > 0 && buf[16 + n + lo - 1]) lo--;
    while (hi < n && buf[16 + n + hi]) hi++;
    const uint64_t start = a + lo;
    const uint32_t len = hi - lo;
    memcpy(buf.data(), &start, 8);
    memcpy(buf.data() + 8, &len, 4);
    memset(buf.data() + 12, 0, 4);
    memmove(buf.data() + 16, buf.data() + 16 + lo, len);
    state_put(out, StateTag::Code, buf.data(), 16 + len);
  }
  if (q.mem_len) inspect_memory(k, d, t->tid, q.mem_addr, q.mem_len, out);
  put_text(out, StateTag::Exe, t->exe);
  if (q.maps) {
    std::string m;
    char line[160];
    for (const auto& [start, v] : t->mem->vmas()) {
      snprintf(line, sizeof line, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " ", v.start, v.end,
               (v.prot & PROT_R) ? 'r' : '-', (v.prot & PROT_W) ? 'w' : '-', (v.prot & PROT_X) ? 'x' : '-',
               v.shared ? 's' : 'p', v.file ? v.file_off : 0);
      m += line;
      m += v.name;
      m += '\n';
    }
    put_text(out, StateTag::Maps, m);
  }
  if (q.blocks) {
    const BlockCache& bc = *t->mm->bc;
    std::vector<HotEntry> hot = bc.hot_entries(1);
    if (hot.size() > q.blocks) hot.resize(q.blocks);
    const std::vector<uint64_t> entries = jit::regions_of(bc);  // sorted
    std::vector<BlockState> bs;
    bs.reserve(hot.size());
    for (const HotEntry& h : hot) {
      BlockState b{};
      b.start = h.rip;
      b.execs = h.execs;
      b.indirect_entries = h.indirect_entries;
      b.page_heat = h.page_heat;
      if (const Block* blk = bc.find(h.rip)) {
        b.end = blk->end;
        b.n = blk->n;
        if (blk->jit_fn) b.flags |= kBlockCompiled;
      } else {
        b.end = h.rip;
      }
      if (std::binary_search(entries.begin(), entries.end(), h.rip)) b.flags |= kBlockRegionEntry;
      bs.push_back(b);
    }
    state_put(out, StateTag::Blocks, bs.data(), bs.size() * sizeof(BlockState));
    state_put(out, StateTag::Regions, entries.data(), entries.size() * sizeof(uint64_t));
  }
  if (q.regions) {
    const BlockCache& bc = *t->mm->bc;
    // the list of compiled regions, the most run entry first
    const std::vector<jit::RegionSummary> sums = jit::region_summaries(bc);
    std::vector<RegionSummaryState> rl(sums.size());
    for (size_t i = 0; i < sums.size(); i++) {
      const jit::RegionSummary& x = sums[i];
      RegionSummaryState& o = rl[i];
      o.start = x.start;
      o.end = x.end;
      const Block* e = bc.find(x.start);
      o.execs = e ? e->execs : 0;
      o.compile_us = x.compile_us;
      o.blocks = x.blocks;
      o.insns = x.insns;
      o.wasm_bytes = x.wasm_bytes;
      o.table_index = x.table_index;
    }
    std::stable_sort(rl.begin(), rl.end(), [](const RegionSummaryState& a, const RegionSummaryState& b) { return a.execs > b.execs; });
    if (rl.size() > std::min(q.regions, kRegionListMax)) rl.resize(std::min(q.regions, kRegionListMax));
    std::string body(8, '\0');
    const uint32_t total = (uint32_t)sums.size();
    memcpy(&body[0], &total, 4);
    body.append((const char*)rl.data(), rl.size() * sizeof(RegionSummaryState));
    state_put(out, StateTag::RegionList, body.data(), body.size());
  }
}

void put_region(const jit::RegionInfo& r, std::string& out) {
  RegionState h{};
  h.start = r.start;
  h.end = r.end;
  h.insns = r.insns;
  h.table_index = r.table_index;
  h.blocks = (uint32_t)r.block_starts.size();
  h.x86_len = (uint32_t)r.x86.size();
  h.wasm_len = (uint32_t)r.wasm.size();
  h.listing_len = (uint32_t)r.listing.size();
  std::string body((const char*)&h, sizeof h);
  body.append((const char*)r.block_starts.data(), r.block_starts.size() * sizeof(uint64_t));
  for (size_t i = 0; i < r.block_starts.size(); i++) {  // (ends: one per start)
    const uint64_t e = i < r.block_ends.size() ? r.block_ends[i] : r.block_starts[i];
    body.append((const char*)&e, sizeof e);
  }
  body.append((const char*)r.x86.data(), r.x86.size());
  body.append((const char*)r.wasm.data(), r.wasm.size());
  body += r.listing;
  state_put(out, StateTag::Region, body.data(), body.size());
}

void inspect_region(Kernel& k, const Debugger& d, int tid, uint64_t addr, std::string& out) {
  Task* t = inspect_task(k, d, tid);
  if (!t) { put_text(out, StateTag::Error, "no such process"); return; }
  jit::RegionInfo r;
  if (!jit::describe_region(*t->mm->bc, addr, r, t->mem)) {
    char b[96];
    snprintf(b, sizeof b, "0x%" PRIx64 " is not in a compiled region", addr);
    put_text(out, StateTag::Error, b);
    return;
  }
  put_region(r, out);
}

void inspect_memory(Kernel& k, const Debugger& d, int tid, uint64_t addr, uint32_t len, std::string& out) {
  Task* t = inspect_task(k, d, tid);
  if (!t) { put_text(out, StateTag::Error, "no such process"); return; }
  const uint32_t n = std::min<uint32_t>(len, 65536);
  std::vector<uint8_t> buf(16 + 2 * (size_t)n);
  memcpy(buf.data(), &addr, 8);
  memcpy(buf.data() + 8, &n, 4);
  read_guest(*t, addr, n, buf.data() + 16, buf.data() + 16 + n);
  state_put(out, StateTag::Memory, buf.data(), buf.size());
}

void inspect_symbols(Kernel& k, const std::string& path, std::string& out) {
  ElfReader read;
  if (!guest_file_reader(k, path, read)) { put_text(out, StateTag::Error, "cannot open " + path); return; }
  std::string text = "path " + path + "\n", err;
  if (!elf_symbols(read, text, err)) { put_text(out, StateTag::Error, path + ": " + err); return; }
  put_text(out, StateTag::Symbols, text);
  std::string lines;
  if (dwarf_lines(read, lines, err)) put_text(out, StateTag::Lines, lines);
}

}  // namespace gb
