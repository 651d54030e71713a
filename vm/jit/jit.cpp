// vm/jit/jit.cpp — the JIT tier: choosing regions, compiling, instantiating, dropping
// (see jit.h for the design; compiler.cpp makes the wasm).
#include "vm/jit/jit.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <queue>
#include <set>

#include "vm/cpu/cpu.h"
#include "vm/jit/compiler.h"
#include "vm/jit/jit_host.h"
#include "vm/jit/wasm_emit.h"
#include "vm/mem/address_space.h"
#include "vm/trace/record.h"
#include "vm/trace/trace.h"

namespace gb {

// The one reader of AddressSpace's private TLB (address_space.h names it a friend).
struct JitLayout {
  static uint32_t tlb_offset(const AddressSpace& as) {
    return (uint32_t)((const uint8_t*)&as.tlb_[0] - (const uint8_t*)&as);
  }
  static constexpr uint32_t entry_size() { return sizeof(AddressSpace::TlbEntry); }
  static_assert(offsetof(AddressSpace::TlbEntry, rtag) == 0 && offsetof(AddressSpace::TlbEntry, wtag) == 8 &&
                    offsetof(AddressSpace::TlbEntry, delta) == 16 && sizeof(AddressSpace::TlbEntry) == 32,
                "compiler.cpp's TLB probe reads rtag at +0, wtag at +8, delta at +16 of 32-byte entries");
};

namespace jit {

namespace {
Mode g_mode = Mode::Off;
std::string g_dump;
// The code cache, process-wide (every address space's tier): budget, live totals, the
// tiers to evict from, the compile order.
uint64_t g_limit_bytes = kCacheBytes, g_bytes = 0, g_peak = 0, g_age = 0, g_evicted = 0;
uint32_t g_limit_regions = kCacheRegions, g_regions = 0;
uint64_t g_threshold = kOnThreshold;
uint32_t g_grow_at = kGrowAt;  // (set_grow; 0: regions never grow)
// The compiler has run once in this process: V8 compiles the engine's functions lazily,
// and the first batch pays for the compiler's own (8-12 ms here; docs/jit.md).
bool g_warm = false;
std::set<JitTier*> g_tiers;

void attach(BlockCache& bc) {
  if (g_mode == Mode::Off || !available()) return;
  bc.tier = std::make_unique<JitTier>(bc, g_mode, g_dump);
  bc.tier_at = g_mode == Mode::Always ? 1 : g_threshold;
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

void set_threshold(uint64_t runs) { g_threshold = runs ? std::min(runs, kMaxThreshold) : kOnThreshold; }

void set_grow(uint32_t exits) { g_grow_at = exits; }

void set_cache_limits(uint64_t bytes, uint32_t regions) {
  g_limit_bytes = bytes ? bytes : kCacheBytes;
  g_limit_regions = regions ? regions : kCacheRegions;
}

CacheUse cache_use() {
  CacheUse u;
  u.bytes = g_bytes;
  u.peak_bytes = g_peak;
  u.limit_bytes = g_limit_bytes;
  u.regions = g_regions;
  u.evicted = g_evicted;
  u.limit_regions = g_limit_regions;
  return u;
}

// Evicts the oldest regions of any tier until `bytes` more bytes and `regions` more
// regions fit the budget (or nothing is left to evict).
void evict_for(uint64_t bytes, uint32_t regions) {
  while (g_regions > 0 && (g_bytes + bytes > g_limit_bytes || g_regions + regions > g_limit_regions)) {
    JitTier* oldest = nullptr;
    uint64_t age = UINT64_MAX;
    for (JitTier* t : g_tiers)
      if (!t->by_age_.empty() && t->by_age_.begin()->first < age) { age = t->by_age_.begin()->first; oldest = t; }
    if (!oldest) break;
    oldest->drop(oldest->by_age_.begin()->second, "evicted (the code cache is full)", 0, true);
  }
}

void configure(Mode mode, const std::string& dump_dir) {
  g_mode = mode;
  g_dump = dump_dir;
  set_tier_factory(mode == Mode::Off ? nullptr : &attach);
  if (mode != Mode::Off) host_reserve();
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
  a.tlb_entry_log2 = (uint32_t)__builtin_ctz(JitLayout::entry_size());
  a.tlb_mask = AddressSpace::TLB_SIZE - 1;
  a.rd_helper[0] = idx((const void*)&helper_read1);
  a.rd_helper[1] = idx((const void*)&helper_read2);
  a.rd_helper[2] = idx((const void*)&helper_read4);
  a.rd_helper[3] = idx((const void*)&helper_read8);
  a.wr_helper[0] = idx((const void*)&helper_write1);
  a.wr_helper[1] = idx((const void*)&helper_write2);
  a.wr_helper[2] = idx((const void*)&helper_write4);
  a.wr_helper[3] = idx((const void*)&helper_write8);
  a.cf_helper = idx((const void*)&helper_cf);
  a.off_rflags = offsetof(Cpu, rflags);
  a.off_xmm = offsetof(Cpu, xmm);
  a.off_mxcsr = offsetof(Cpu, mxcsr);
  a.off_chained = offsetof(Cpu, jit.chained);
  a.handler = [](Handler h) { return idx((const void*)h); };
  a.addr = [](const void* p) { return idx(p); };
  return a;
}

// The layout for compiling `bc`'s blocks in `mem`: the host's, plus this address space's
// TLB and the cache's budget words; with `listing`, the x86 bytes of each instruction as
// hex for the listing's comments.
static Abi tier_abi(BlockCache& bc, AddressSpace& mem, bool listing) {
  Abi abi = host_layout();
  abi.tlb_off = JitLayout::tlb_offset(mem);
  abi.addr_running = idx(&bc.running);
  abi.addr_limit = idx(&bc.limit);
  if (listing) {
    AddressSpace* m = &mem;
    abi.bytes = [m](uint64_t a, uint32_t n) {
      uint8_t buf[16];
      std::string s;
      if (n > 16 || !m->copy_in(buf, a, n)) return s;
      char h[4];
      for (uint32_t i = 0; i < n; i++) { snprintf(h, sizeof h, i ? " %02x" : "%02x", buf[i]); s += h; }
      return s;
    };
  }
  return abi;
}

namespace {
// The successors a region follows from b (form_region): its fall-through, a direct
// branch's target, an indirect branch's last target (Block::ind_target). Returns how many.
int region_successors(const Block& b, uint64_t succ[2]) {
  const Insn& last = b.insns.back();
  const uint32_t form = last.row != 0xffff ? op_table()[last.row].form : 0;
  int ns = 0;
  if (!(form & F_BRANCH)) succ[ns++] = b.end;
  else if (form & (F_REL8 | F_REL32)) {
    if (last.osz != 2) succ[ns++] = b.end + last.imm;
    succ[ns++] = b.end;  // jcc's fall-through, call's return address (jmp: harmless)
  } else if (b.ind_target) {
    succ[ns++] = b.ind_target;  // an indirect branch: where it went last (compared inline)
  }
  return ns;
}
}  // namespace

std::vector<const Block*> form_region(const BlockCache& bc, const Block& entry, bool grow) {
  // The region: decoded blocks reachable by direct jumps (jcc both ways, jmp, call's
  // target and return address), the most often run first (a block's execs), in at most
  // kMaxPages pages: a callee in another page comes along, and a ret to the block after
  // its call stays in the region.
  std::vector<const Block*> blocks;
  std::set<uint64_t> seen, pages;
  auto hotter = [](const Block* a, const Block* b) { return a->execs < b->execs; };
  std::priority_queue<const Block*, std::vector<const Block*>, decltype(hotter)> work(hotter);
  work.push(&entry);
  seen.insert(entry.start);
  pages.insert(page_down(entry.start));
  // Growing (grow()), past kMaxBlocks the region goes on only along blocks run at least
  // half as often as its entry (a hot path longer than eight blocks, such as python's
  // loop through its eval loop, its ints and its allocator: fewer exits from region to
  // region), up to kMaxHotBlocks in kMaxHotPages pages; a loop's cold surroundings never
  // make it bigger. (Counts as the interpreter left them: a block compiled stops counting,
  // so a block compiled in an early batch keeps a lower count than an entry compiled
  // later at a raised threshold; hence the bar is at most half the base threshold, what a
  // block runs before it would be compiled on its own. With the entry's count alone, a
  // region of grow.c compiled at 1,024 runs found its loop's blocks, compiled at 64, cold.)
  const uint64_t bar = std::min<uint64_t>(entry.execs, g_threshold);
  const auto hot = [&](const Block* b) { return grow && b->execs * 2 >= bar; };
  while (!work.empty() && blocks.size() < kMaxHotBlocks) {
    const Block* b = work.top();
    if (blocks.size() >= kMaxBlocks && !hot(b)) break;
    work.pop();
    blocks.push_back(b);
    uint64_t succ[2];
    const int ns = region_successors(*b, succ);
    for (int i = 0; i < ns; i++) {
      const uint64_t t = succ[i];
      if (seen.count(t)) continue;
      const bool new_page = !pages.count(page_down(t));
      if (new_page && pages.size() >= (blocks.size() < kMaxBlocks ? kMaxPages : kMaxHotPages)) continue;
      const Block* nb = bc.find(t);
      if (!nb || nb->fetch_fault) continue;
      seen.insert(t);
      if (new_page) pages.insert(page_down(t));
      work.push(nb);
    }
  }
  return blocks;
}

namespace {
uint64_t now_us() {
  return (uint64_t)std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

JitTier::JitTier(BlockCache& bc, Mode mode, std::string dump_dir)
    : bc_(bc), mode_(mode), dump_dir_(std::move(dump_dir)), t0_us_(now_us()), base_at_(g_threshold) {
  g_tiers.insert(this);
}

JitTier::~JitTier() {
  if (!regions_.empty()) record_drop(JitProcessGone, nullptr, 0, (uint32_t)regions_.size());
  for (auto& [k, r] : regions_) {
    host_release(r->fn, r->rt);
    g_bytes -= r->bytes;
    g_regions--;
  }
  g_tiers.erase(this);
}

void JitTier::compile(Block& entry) {
  if (mode_ == Mode::Always) {
    queue_.clear();
    queue_[entry.start] = entry.execs;
    flush();
    return;
  }
  // A queued block is asked about again only after `wait` more runs (entry.jit_ask, which
  // run() compares), not on every run. Until this process's first batch the compiler is
  // cold (kColdWait).
  const uint64_t wait = bc_.tier_at * (g_warm ? 1 : kColdWait);
  auto it = queue_.find(entry.start);
  if (it == queue_.end()) {
    queue_[entry.start] = entry.execs;
    entry.jit_ask = (uint32_t)(entry.execs + wait);
    if (queue_.size() < kBatch) return;
  } else if (entry.execs < it->second + wait) {
    entry.jit_ask = (uint32_t)(it->second + wait);
    return;
  }
  flush();
}

void JitTier::adapt() {
  const uint64_t elapsed = now_us() - t0_us_ + 1;
  const double share = (double)compile_us_ / (double)elapsed;
  if (share > kShare && bc_.tier_at < kMaxThreshold) bc_.tier_at *= 2;
  else if (share < kShare / 4 && bc_.tier_at / 2 >= base_at_) bc_.tier_at /= 2;
}

void JitTier::flush() {
  const auto t0 = std::chrono::steady_clock::now();
  // The regions: one per waiting entry not already inside an earlier region of the batch.
  std::vector<std::vector<const Block*>> regions;
  std::vector<Block*> entries;
  std::set<const Block*> covered;
  for (const auto& [start, execs] : queue_) {
    Block* e = const_cast<Block*>(bc_.find(start));
    if (!e || e->jit_fn || e->jit_failed || covered.count(e)) continue;
    regions.push_back(form_region(bc_, *e));
    entries.push_back(e);
    for (const Block* b : regions.back()) covered.insert(b);
  }
  queue_.clear();
  if (regions.empty()) return;
  build(regions, entries, false, t0);
}

uint32_t* JitTier::new_cell() {
  if (!free_cells_.empty()) {
    uint32_t* c = free_cells_.back();
    free_cells_.pop_back();
    *c = 0;
    return c;
  }
  cells_.push_back(0);
  return &cells_.back();
}

// Regions that grow (jit.h): a region whose exits to other regions reached kGrowAt asked
// for this. Its entry's region is formed again, past kMaxBlocks along blocks as hot as
// the entry; if that adds blocks, the bigger region is compiled alone and takes over
// every block it holds (their entries and chain slots); the old region stays for its
// other ways in until evicted.
void JitTier::grow(uint64_t rip) {
  Block* e = const_cast<Block*>(bc_.find(rip));
  if (!e || !e->jit_fn || e->jit_failed || !bc_.cpu) return;
  std::vector<const Block*> blocks = form_region(bc_, *e, true);
  if (blocks.size() <= kMaxBlocks) return;
  // Only a region that now holds a whole hot loop through its entry: then the loop runs
  // without leaving it. Pieces of a loop longer than kMaxHotBlocks (python's 1,200
  // instructions an iteration of `s += i * i`) chain about half as often grown, but each
  // new function starts in V8's baseline tier again while its TurboFan compile (50-100 ms
  // at 20-28 KB) runs: slower on runs of a second (docs/jit.md "Regions that grow").
  bool closes = false;
  for (const Block* b : blocks) {
    uint64_t succ[2];
    const int ns = region_successors(*b, succ);
    for (int i = 0; i < ns; i++) closes |= succ[i] == e->start;
  }
  if (!closes) return;
  if (bc_.counters) bc_.counters->jit_grown++;
  build({blocks}, {e}, true, std::chrono::steady_clock::now());
}

void JitTier::build(const std::vector<std::vector<const Block*>>& regions, const std::vector<Block*>& entries, bool grown,
                    std::chrono::steady_clock::time_point t0) {
  Counters* ctr = bc_.counters;
  const bool listing = !dump_dir_.empty();
  Abi abi = tier_abi(bc_, *bc_.cpu->mem, listing);
  // Exits chain through the tier's chain table (docs/jit.md, "Chained regions"), where
  // the host runs wasm tail calls.
  if (!chain_ && host_tail_calls()) chain_.reset(new ChainSlot[1u << kChainBits]());
  chain_abi(abi);
  std::vector<uint32_t*> cells(regions.size(), nullptr);
  std::vector<uint32_t> cell_addrs(regions.size(), 0);
  if (chain_ && !grown && g_grow_at) {
    abi.addr_grow = idx(&bc_.grow_request);
    abi.grow_at = g_grow_at;
    for (size_t i = 0; i < regions.size(); i++) {
      cells[i] = new_cell();
      cell_addrs[i] = idx(cells[i]);
    }
  }
  Batch c = compile_batch(regions, abi, listing, &cell_addrs);
  const auto t1 = std::chrono::steady_clock::now();
  // The cache's budget: room for this batch first (the oldest regions of any tier go).
  evict_for(c.wasm.size(), (uint32_t)regions.size());
  uint64_t body_sum = 0, gen_sum = 0;
  for (const Compiled& rc : c.regions) {
    body_sum += rc.body_bytes;
    gen_sum += rc.gen_us;
  }
  const uint64_t overhead = c.wasm.size() > body_sum ? (c.wasm.size() - body_sum) / regions.size() : 0;
  std::vector<uint32_t> fns(regions.size(), 0), rts(regions.size(), ~0u);
  const bool ok = host_instantiate(c.wasm.data(), (uint32_t)c.wasm.size(), c.imports.data(),
                                   (uint32_t)c.imports.size(), fns.data(), (uint32_t)fns.size(), rts.data());
  const uint64_t us = (uint64_t)std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0).count();
  // (A grown region is not new code: it comes after kGrowAt exits of a region already
  // compiled, which paid for it. Counted in --stats, but the threshold is for new code:
  // with it, python's loop raised the threshold to 128,000 and left more to interpret.)
  // (Nor the process's first batch: most of it is V8 compiling the compiler's own code on
  // its first use, 4-9 ms whatever the threshold, which made every short run double the
  // threshold at its first batch: cpu_bound's later loops waited 8,000-64,000 runs.)
  if (!grown && g_warm) compile_us_ += us;
  g_warm = true;
  if (host_debug())
    fprintf(stderr, "jit: batch of %zu regions, %zu bytes: gen %lld us, total %llu us, tier_at %llu\n", regions.size(), c.wasm.size(),
            (long long)std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count(), (unsigned long long)us,
            (unsigned long long)bc_.tier_at);
  if (ctr) ctr->jit_compile_us += us;
  seq_++;
  if (listing) {
    char name[64];
    snprintf(name, sizeof name, "/region-%05llu-%llx", (unsigned long long)seq_, (unsigned long long)entries[0]->start);
    const std::string base = dump_dir_ + name;
    if (FILE* f = fopen((base + ".wasm").c_str(), "wb")) { fwrite(c.wasm.data(), 1, c.wasm.size(), f); fclose(f); }
    if (FILE* f = fopen((base + ".txt").c_str(), "w")) {
      for (size_t i = 0; i < c.regions.size(); i++) {
        fprintf(f, ";; region %zu (export %s) from 0x%llx\n", i, export_name((uint32_t)i).c_str(),
                (unsigned long long)entries[i]->start);
        fwrite(c.regions[i].listing.data(), 1, c.regions[i].listing.size(), f);
      }
      fclose(f);
    }
  }
  if (mode_ != Mode::Always && !grown) adapt();
  if (!ok) {
    for (uint32_t* cell : cells)
      if (cell) free_cells_.push_back(cell);
    if (grown) return;  // (the region it would have grown stays)
    for (Block* e : entries) e->jit_failed = true;
    if (ctr) ctr->jit_failed += entries.size();
    return;
  }
  if (ctr) {
    ctr->jit_modules++;
    ctr->jit_wasm_bytes += c.wasm.size();
  }
  // Each region's own compile time: its generation, plus the module's shared part
  // (assembling, V8's compile and instantiation) in proportion to its code's size.
  const uint64_t shared_us = us > gen_sum ? us - gen_sum : 0;
  for (size_t ri = 0; ri < regions.size(); ri++) {
    const std::vector<const Block*>& blocks = regions[ri];
    const uint64_t own_us = c.regions[ri].gen_us + (body_sum ? shared_us * c.regions[ri].body_bytes / body_sum : 0);
    auto r = std::make_unique<Region>();
    r->fn = fns[ri];
    r->rt = rts[ri];
    r->exits = cells[ri];
    std::set<uint64_t> pages;
    for (uint32_t i = 0; i < blocks.size(); i++) {
      Block* b = const_cast<Block*>(blocks[i]);
      r->blocks.push_back(b);
      for (uint64_t p = page_down(b->start); p < b->end; p += PAGE) pages.insert(p);
      if (!b->jit_fn || grown) {
        b->jit_fn = reinterpret_cast<uint32_t (*)(Cpu*, uint32_t)>((uintptr_t)r->fn);
        b->jit_entry = i;
      }
    }
    r->pages.assign(pages.begin(), pages.end());
    r->start = blocks[0]->start;
    r->end = blocks.back()->end;
    r->insns = c.regions[ri].insns;
    r->us = own_us;
    r->age = ++g_age;
    r->bytes = (uint32_t)(c.regions[ri].body_bytes + overhead);
    g_bytes += r->bytes;
    g_regions++;
    g_peak = std::max(g_peak, g_bytes);
    Region* raw = r.get();
    by_age_[r->age] = raw;
    for (uint64_t p : r->pages) by_page_[p].push_back(raw);
    if (bc_.trace && bc_.trace->enabled()) {
      TraceEvent ev = bc_.trace->make(TraceKind::JitRegion, 0, 0, bc_.cpu ? bc_.cpu->icount : 0);
      const Block* last = blocks.back();
      ev.args[0] = blocks[0]->start;
      ev.args[1] = last->end;
      ev.args[2] = c.regions[ri].insns;
      ev.args[3] = own_us;  // (its generation and its share of the module's)
      ev.args[4] = c.regions[ri].body_bytes;
      ev.args[5] = r->fn;
      char t[160];
      snprintf(t, sizeof t, "region 0x%llx%s: %zu blocks, %u x86 insns (%u inline), %u wasm bytes, %llu us (batch of %zu, %llu us)",
               (unsigned long long)blocks[0]->start, grown ? " (grown)" : "", blocks.size(), c.regions[ri].insns, c.regions[ri].inline_insns,
               c.regions[ri].body_bytes, (unsigned long long)own_us, regions.size(), (unsigned long long)us);
      ev.set_text(t);
      bc_.trace->emit(ev);
    }
    if (bc_.records && bc_.records->enabled()) {
      TraceRecord rec = bc_.records->make(RecKind::JitRegion, bc_.rec_pid, bc_.rec_tid, bc_.cpu ? bc_.cpu->icount : 0);
      rec.nr = (uint16_t)std::min<size_t>(blocks.size(), 0xffff);
      rec.ret = (int64_t)regions.size();
      rec.a[0] = raw->start;
      rec.a[1] = raw->end;
      rec.a[2] = raw->insns;
      rec.a[3] = own_us;
      rec.a[4] = c.regions[ri].body_bytes;
      rec.a[5] = raw->fn;
      bc_.records->push(rec);
    }
    regions_[raw] = std::move(r);
    chain_put(*raw);
    if (ctr) {
      ctr->jit_regions++;
      ctr->jit_insns += c.regions[ri].insns;
      ctr->jit_inline += c.regions[ri].inline_insns;
    }
  }
}

void JitTier::record_drop(uint16_t why, const Region* r, uint64_t page, uint32_t count) {
  if (!bc_.records || !bc_.records->enabled()) return;
  // (no icount when the address space goes: its task, and bc_.cpu, may be gone already)
  TraceRecord rec = bc_.records->make(RecKind::JitDrop, bc_.rec_pid, bc_.rec_tid, r && bc_.cpu ? bc_.cpu->icount : 0);
  rec.nr = why;
  rec.ret = count;
  if (r) {
    rec.a[0] = r->start;
    rec.a[1] = page;
    rec.a[2] = r->end;
    rec.a[3] = r->insns;
    rec.a[4] = r->bytes;
    const Block* e = bc_.find(r->start);
    rec.a[5] = e ? e->execs : 0;
  } else {  // every region of the address space (it goes: execve, exit)
    for (const auto& [k, x] : regions_) {
      rec.a[3] += x->insns;
      rec.a[4] += x->bytes;
    }
  }
  bc_.records->push(rec);
}

void JitTier::drop(Region* r, const char* why, uint64_t page, bool evicted) {
  if (!quiet_) record_drop(evicted ? JitEvicted : page ? JitCodeWritten : JitProcessGone, r, page, 1);
  if (bc_.trace && bc_.trace->enabled()) {
    TraceEvent ev = bc_.trace->make(TraceKind::JitDrop, 0, 0, bc_.cpu ? bc_.cpu->icount : 0);
    ev.args[0] = r->start;
    ev.args[1] = page;
    char t[128];
    snprintf(t, sizeof t, "region 0x%llx dropped: %s", (unsigned long long)r->start, why);
    ev.set_text(t);
    bc_.trace->emit(ev);
  }
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
  chain_remove(*r);  // no exit enters it from now on
  if (r->rt != ~0u && !r->chained && unchained_) unchained_--;
  host_release(r->fn, r->rt);
  if (r->exits) free_cells_.push_back(r->exits);
  if (evicted) g_evicted++;
  else if (bc_.counters) bc_.counters->jit_invalidated++;
  by_age_.erase(r->age);
  g_bytes -= r->bytes;
  g_regions--;
  regions_.erase(r);
}

bool JitTier::invalidate_page(uint64_t page) {
  for (auto q = queue_.begin(); q != queue_.end();)  // (flush() looks entries up again; this keeps the queue small)
    q = page_down(q->first) == page ? queue_.erase(q) : std::next(q);
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return false;
  const std::vector<Region*> doomed = it->second;
  // A region running now holds bc.running (compiled code stores it before any call that
  // can write memory). If it is dropped, it must not go on to its copy of a block of this
  // page, which may be anywhere in it: a loop calling code on another page (inlined by
  // the call's last target) runs that copy again after the store (tests/jit/alias.c and
  // smc.c with --jit-threshold 64: stale code until the loop ended).
  bool running = false;
  for (Region* r : doomed) {
    for (const Block* b : r->blocks) running |= b == bc_.running;
    drop(r, "a page of its code was written, unmapped or reprotected", page);
  }
  return running;
}

JitTier::Region* JitTier::region_of(const Block& b) const {
  auto it = by_page_.find(page_down(b.start));
  if (it == by_page_.end() || !b.jit_fn) return nullptr;
  const uint32_t fn = (uint32_t)(uintptr_t)b.jit_fn;
  for (Region* r : it->second)
    if (r->fn == fn) return r;
  return nullptr;
}

void JitTier::region_pages(const Block& b, std::vector<uint64_t>& out) const {
  if (const Region* r = region_of(b)) out.insert(out.end(), r->pages.begin(), r->pages.end());  // (every page its blocks span)
}

void JitTier::retire() {
  // The regions leave their process (one record, as when they are dropped at exit) but
  // stay compiled: the program's next process may enter them (vm/linux/code_pool.h).
  queue_.clear();
  if (!regions_.empty()) record_drop(JitProcessGone, nullptr, 0, (uint32_t)regions_.size());
  // Unverified from now on: the next process enters a region only through get(), which
  // checks its pages first, so no exit may go on in another region by the chain table
  // until its own pages are checked there (reused()). Each keeps its slot in the hub's
  // table for that.
  if (chain_) std::fill_n(chain_.get(), 1u << kChainBits, ChainSlot{});
  unchained_ = 0;
  for (auto& [k, r] : regions_) {
    unchained_ += r->rt != ~0u;
    r->chained = false;
  }
}

void JitTier::reused(const Block& b) {
  // A chained exit enters a region at any of its blocks and the region runs on through
  // the others without get(): so a region goes back into the chain table only once every
  // page it spans hashed the same in this process. get_slow() calls this after
  // check_block(), which checks exactly those pages, so the test below is a guard.
  if (!unchained_) return;
  Region* r = region_of(b);
  if (!r || r->chained || r->rt == ~0u) return;
  for (uint64_t p : r->pages)
    if (!bc_.page_checked(p)) return;
  chain_put(*r);
  unchained_--;
}

void JitTier::chain_abi(Abi& abi) const {
  if (!chain_) return;
  abi.chain_table = idx(chain_.get());
  abi.chain_bits = kChainBits;
}

void JitTier::chain_put(Region& r) {
  if (r.rt == ~0u || !chain_) return;
  r.chained = true;
  ChainSlot* t = chain_.get();
  for (uint32_t i = 0; i < r.blocks.size() && i < 256; i++) {
    const Block* b = r.blocks[i];
    t[chain_slot(b->start, kChainBits)] = ChainSlot{b->start, idx(b), r.rt << 8 | i};
  }
}

void JitTier::chain_remove(const Region& r) {
  if (r.rt == ~0u || !chain_) return;
  ChainSlot* t = chain_.get();
  for (const Block* b : r.blocks) {
    ChainSlot& e = t[chain_slot(b->start, kChainBits)];
    if (e.addr == b->start && e.target >> 8 == r.rt) e = ChainSlot{};
  }
}

void JitTier::adopt() {
  // The compile share is the new process's own: the time between the runs (a student
  // typing) must not make the last process's compile time look small.
  t0_us_ = now_us();
  compile_us_ = 0;
}

void JitTier::clear() {
  queue_.clear();
  std::vector<Region*> all;
  for (auto& [k, r] : regions_) all.push_back(k);
  if (!all.empty()) record_drop(JitProcessGone, nullptr, 0, (uint32_t)all.size());  // (one record for them all)
  quiet_ = true;
  for (Region* r : all) drop(r, "the address space's code was dropped (execve, exit)", 0);
  quiet_ = false;
}

bool JitTier::describe(uint64_t rip, RegionInfo& out, AddressSpace* as) const {
  const Block* b = bc_.find(rip);
  const Region* r = b ? region_of(*b) : nullptr;
  if (!r) return false;
  std::vector<const Block*> blocks(r->blocks.begin(), r->blocks.end());
  out = RegionInfo();
  out.start = r->start;
  out.end = blocks.back()->end;
  out.table_index = r->fn;
  AddressSpace* mem = as ? as : bc_.cpu ? bc_.cpu->mem : nullptr;
  if (!mem) return false;
  for (const Block* bl : blocks) {
    out.block_starts.push_back(bl->start);
    out.block_ends.push_back(bl->end);
    const size_t at = out.x86.size();
    out.x86.resize(at + (bl->end - bl->start));
    mem->copy_in(out.x86.data() + at, bl->start, (uint32_t)(bl->end - bl->start));
  }
  Abi abi = tier_abi(bc_, *mem, true);
  chain_abi(abi);  // (the same code as it runs)
  Compiled c = compile_region(blocks, abi, true);
  out.insns = c.insns;
  out.wasm = std::move(c.wasm);
  out.listing = std::move(c.listing);
  return true;
}

std::vector<uint64_t> JitTier::entries() const {
  std::vector<uint64_t> v;
  for (const auto& [k, r] : regions_)
    if (bc_.find(r->start)) v.push_back(r->start);  // (not a kept region of a page unchecked here)
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<RegionSummary> JitTier::summaries() const {
  std::vector<RegionSummary> v;
  v.reserve(regions_.size());
  for (const auto& [k, r] : regions_) {
    if (!bc_.find(r->start)) continue;  // (kept from the program's last process, its page unchecked here)
    RegionSummary x;
    x.start = r->start;
    x.end = r->end;
    x.compile_us = r->us;
    x.blocks = (uint32_t)r->blocks.size();
    x.insns = r->insns;
    x.wasm_bytes = r->bytes;
    x.table_index = r->fn;
    v.push_back(x);
  }
  std::sort(v.begin(), v.end(), [](const RegionSummary& a, const RegionSummary& b) { return a.start < b.start; });
  return v;
}

std::vector<RegionSummary> region_summaries(const BlockCache& bc) {
  const auto* t = dynamic_cast<const JitTier*>(bc.tier.get());
  return t ? t->summaries() : std::vector<RegionSummary>{};
}

bool describe_region(const BlockCache& bc, uint64_t rip, RegionInfo& out, AddressSpace* mem) {
  const auto* t = dynamic_cast<const JitTier*>(bc.tier.get());
  return t && t->describe(rip, out, mem);
}

std::vector<uint64_t> regions_of(const BlockCache& bc) {
  const auto* t = dynamic_cast<const JitTier*>(bc.tier.get());
  return t ? t->entries() : std::vector<uint64_t>{};
}

}  // namespace jit
}  // namespace gb
