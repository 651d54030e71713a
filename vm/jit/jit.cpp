// vm/jit/jit.cpp — the JIT tier: choosing regions, compiling, instantiating, dropping
// (see jit.h for the design; compiler.cpp makes the wasm).
#include "vm/jit/jit.h"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <set>

#include "vm/cpu/cpu.h"
#include "vm/jit/compiler.h"
#include "vm/jit/jit_host.h"
#include "vm/mem/address_space.h"

namespace gb {

// The one reader of AddressSpace's private TLB (address_space.h names it a friend).
struct JitLayout {
  static uint32_t tlb_offset(const AddressSpace& as) {
    return (uint32_t)((const uint8_t*)&as.tlb_[0] - (const uint8_t*)&as);
  }
  static constexpr uint32_t entry_size() { return sizeof(AddressSpace::TlbEntry); }
  static_assert(offsetof(AddressSpace::TlbEntry, rtag) == 0 && offsetof(AddressSpace::TlbEntry, wtag) == 8 &&
                    offsetof(AddressSpace::TlbEntry, delta) == 16 && sizeof(AddressSpace::TlbEntry) == 24,
                "compiler.cpp's TLB probe reads rtag at +0, wtag at +8, delta at +16");
};

namespace jit {

namespace {
Mode g_mode = Mode::Off;
std::string g_dump;

void attach(BlockCache& bc) {
  if (g_mode == Mode::Off || !available()) return;
  bc.tier = std::make_unique<JitTier>(bc, g_mode, g_dump);
  bc.tier_at = g_mode == Mode::Always ? 1 : kOnThreshold;
}

uint32_t idx(const void* p) { return (uint32_t)(uintptr_t)p; }
}  // namespace

bool available() {
#ifdef __EMSCRIPTEN__
  return true;
#else
  return false;
#endif
}

bool parse_mode(const std::string& s, Mode& out) {
  if (s == "off") out = Mode::Off;
  else if (s == "on") out = Mode::On;
  else if (s == "always") out = Mode::Always;
  else return false;
  return true;
}

void configure(Mode mode, const std::string& dump_dir) {
  g_mode = mode;
  g_dump = dump_dir;
  set_tier_factory(mode == Mode::Off ? nullptr : &attach);
}

Abi host_layout() {
  Abi a;
  a.off_r = offsetof(Cpu, r);
  a.off_rip = offsetof(Cpu, rip);
  a.off_cc = offsetof(Cpu, cc);
  a.off_icount = offsetof(Cpu, icount);
  a.off_stop = offsetof(Cpu, stop);
  a.off_mem = offsetof(Cpu, mem);
  a.off_fs = offsetof(Cpu, fs_base);
  a.off_gs = offsetof(Cpu, gs_base);
  a.tlb_entry = JitLayout::entry_size();
  a.tlb_mask = AddressSpace::TLB_SIZE - 1;
  a.rd_helper[0] = idx((const void*)&helper_read1);
  a.rd_helper[1] = idx((const void*)&helper_read2);
  a.rd_helper[2] = idx((const void*)&helper_read4);
  a.rd_helper[3] = idx((const void*)&helper_read8);
  a.wr_helper[0] = idx((const void*)&helper_write1);
  a.wr_helper[1] = idx((const void*)&helper_write2);
  a.wr_helper[2] = idx((const void*)&helper_write4);
  a.wr_helper[3] = idx((const void*)&helper_write8);
  a.handler = [](Handler h) { return idx((const void*)h); };
  a.addr = [](const void* p) { return idx(p); };
  return a;
}

std::vector<const Block*> form_region(const BlockCache& bc, const Block& entry) {
  // The region: decoded blocks reachable by direct jumps, starting in the entry's page.
  const uint64_t page = page_down(entry.start);
  std::vector<const Block*> blocks;
  std::set<uint64_t> seen;
  std::deque<const Block*> work;
  work.push_back(&entry);
  seen.insert(entry.start);
  while (!work.empty() && blocks.size() < kMaxBlocks) {
    const Block* b = work.front();
    work.pop_front();
    blocks.push_back(b);
    const Insn& last = b->insns.back();
    const uint32_t form = last.row != 0xffff ? op_table()[last.row].form : 0;
    uint64_t succ[2];
    int ns = 0;
    if (!(form & F_BRANCH)) succ[ns++] = b->end;
    else if (form & (F_REL8 | F_REL32)) {
      if (last.osz != 2) succ[ns++] = b->end + last.imm;
      succ[ns++] = b->end;  // jcc's fall-through, call's return address (jmp: harmless)
    }
    for (int i = 0; i < ns; i++) {
      const uint64_t t = succ[i];
      if (page_down(t) != page || seen.count(t)) continue;
      const Block* nb = bc.find(t);
      if (!nb || nb->fetch_fault) continue;
      seen.insert(t);
      work.push_back(nb);
    }
  }
  return blocks;
}

JitTier::JitTier(BlockCache& bc, Mode, std::string dump_dir) : bc_(bc), dump_dir_(std::move(dump_dir)) {}

JitTier::~JitTier() {
  for (auto& [k, r] : regions_) host_release(r->fn);
}

void JitTier::compile(Block& entry) {
  const auto t0 = std::chrono::steady_clock::now();
  Counters* ctr = bc_.counters;
  const std::vector<const Block*> blocks = form_region(bc_, entry);
  Abi abi = host_layout();
  abi.tlb_off = JitLayout::tlb_offset(*bc_.cpu->mem);
  abi.addr_running = idx(&bc_.running);
  abi.addr_limit = idx(&bc_.limit);
  const bool listing = !dump_dir_.empty();
  AddressSpace* mem = bc_.cpu->mem;
  if (listing) {
    abi.bytes = [mem](uint64_t a, uint32_t n) {
      uint8_t buf[16];
      std::string s;
      if (n > 16 || !mem->copy_in(buf, a, n)) return s;
      char h[4];
      for (uint32_t i = 0; i < n; i++) { snprintf(h, sizeof h, i ? " %02x" : "%02x", buf[i]); s += h; }
      return s;
    };
  }
  Compiled c = compile_region(blocks, abi, listing);
  const uint32_t fn = host_instantiate(c.wasm.data(), (uint32_t)c.wasm.size(), c.imports.data(), (uint32_t)c.imports.size());
  const uint64_t us = (uint64_t)std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0).count();
  if (ctr) ctr->jit_compile_us += us;
  seq_++;
  if (listing) {
    char name[64];
    snprintf(name, sizeof name, "/region-%05llu-%llx", (unsigned long long)seq_, (unsigned long long)entry.start);
    const std::string base = dump_dir_ + name;
    if (FILE* f = fopen((base + ".wasm").c_str(), "wb")) { fwrite(c.wasm.data(), 1, c.wasm.size(), f); fclose(f); }
    if (FILE* f = fopen((base + ".txt").c_str(), "w")) { fwrite(c.listing.data(), 1, c.listing.size(), f); fclose(f); }
  }
  if (!fn) {
    entry.jit_failed = true;
    if (ctr) ctr->jit_failed++;
    return;
  }
  auto r = std::make_unique<Region>();
  r->fn = fn;
  std::set<uint64_t> pages;
  for (uint32_t i = 0; i < blocks.size(); i++) {
    Block* b = const_cast<Block*>(blocks[i]);
    r->blocks.push_back(b);
    for (uint64_t p = page_down(b->start); p < b->end; p += PAGE) pages.insert(p);
    if (!b->jit_fn) {
      b->jit_fn = reinterpret_cast<uint32_t (*)(Cpu*, uint32_t)>((uintptr_t)fn);
      b->jit_entry = i;
    }
  }
  r->pages.assign(pages.begin(), pages.end());
  Region* raw = r.get();
  for (uint64_t p : r->pages) by_page_[p].push_back(raw);
  regions_[raw] = std::move(r);
  if (ctr) {
    ctr->jit_regions++;
    ctr->jit_insns += c.insns;
    ctr->jit_inline += c.inline_insns;
    ctr->jit_wasm_bytes += c.wasm.size();
  }
}

void JitTier::drop(Region* r) {
  const auto fnp = reinterpret_cast<uint32_t (*)(Cpu*, uint32_t)>((uintptr_t)r->fn);
  for (Block* b : r->blocks)
    if (b->jit_fn == fnp) { b->jit_fn = nullptr; b->jit_entry = 0; }
  for (uint64_t p : r->pages) {
    auto it = by_page_.find(p);
    if (it == by_page_.end()) continue;
    auto& v = it->second;
    for (size_t i = 0; i < v.size(); i++)
      if (v[i] == r) { v[i] = v.back(); v.pop_back(); break; }
    if (v.empty()) by_page_.erase(it);
  }
  host_release(r->fn);
  if (bc_.counters) bc_.counters->jit_invalidated++;
  regions_.erase(r);
}

void JitTier::invalidate_page(uint64_t page) {
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return;
  const std::vector<Region*> doomed = it->second;
  for (Region* r : doomed) drop(r);
}

void JitTier::clear() {
  std::vector<Region*> all;
  for (auto& [k, r] : regions_) all.push_back(k);
  for (Region* r : all) drop(r);
}

}  // namespace jit
}  // namespace gb
