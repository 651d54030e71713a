// vm/cpu/interp.cpp — block cache, run loop and the interpreter's profile (see interp.h).
//
// The run loop's per-instruction work is: set rip to the next instruction, run it (inline
// for the forms of vm/cpu/ops_fast.h, by Insn::fast; else a call of its handler), test
// cpu.stop. Everything else happens once per block: the instruction
// count (added for the whole block up front, corrected when the block stops or faults
// early), the block's execution count, its page's heat and the indirect-entry record.
#include "vm/cpu/interp.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/cpu/ops_fast.h"
#include "vm/mem/address_space.h"

namespace gb {

std::unique_ptr<Block> Block::make(const Insn* src, uint32_t n) {
  static_assert(std::is_trivially_copyable<Insn>::value && sizeof(Block) % alignof(Insn) == 0, "insns follow the Block");
  static_assert(sizeof(void*) != 4 || sizeof(Block) == 96, "Block grew (interp.h: every decoded block pays for it)");
  void* mem = ::operator new(sizeof(Block) + (size_t)n * sizeof(Insn));
  Block* b = new (mem) Block();
  b->insns.p = reinterpret_cast<Insn*>(b + 1);
  b->insns.count = n;
  b->n = n;
  if (n) memcpy(static_cast<void*>(b->insns.p), src, (size_t)n * sizeof(Insn));
  return std::unique_ptr<Block>(b);
}

// ---- BlockMap's out-of-line parts (block_map.h: they delete Blocks) ----

void BlockMap::clear_into(std::vector<std::unique_ptr<Block>>* out) {
  for (Slot& s : slots_) {
    if (!s.block) continue;
    if (out) out->emplace_back(s.block);
    else delete s.block;
    s = Slot{};
  }
  n_ = 0;
}

void BlockMap::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  const size_t cap = old.empty() ? 1024 : old.size() * 2;
  slots_.assign(cap, Slot{});
  shift_ = 64 - (unsigned)__builtin_ctzll(cap);
  for (const Slot& s : old)
    if (s.block) slots_[locate(s.block->start)] = s;
}

Block* const BlockCache::kNoFront[BlockCache::kFast] = {};

BlockCache::~BlockCache() {
  tier.reset();  // (first: its teardown reports through records and may look at the cache)
  if (fast_ != kNoFront) delete[] fast_;
}

void BlockCache::clear_front() {
  if (fast_ != kNoFront) std::fill(fast_, fast_ + kFast, nullptr);
}

Block* BlockCache::get_slow(AddressSpace& mem, uint64_t rip) {
  if (__builtin_expect(fast_ == kNoFront, 0)) fast_ = new Block*[kFast]();
  Block*& slot = fast_[fast_index(rip)];
  Block* found = blocks_.find(rip);
  if (found && __builtin_expect(!unverified_.empty(), 0) && !check_block(mem, *found))
    found = blocks_.find(rip);  // (dropped: its page differs here; decoded again below)
  if (found) {
    if (found->jit_fn && tier) tier->reused(*found);
    slot = found;
    return slot;
  }
  uint64_t pc = rip;
  scratch_.clear();
  for (int n = 0; n < kMaxBlock; n++) {
    Insn in;
    DecodeError err;
    decode(mem, pc, in, n == 0 ? &err : &err);  // throws only if pc's first byte faults
    if (in.len == 0) {
      // Runs into an unfetchable page: end the block before it, or fault now if first.
      if (n == 0) throw GuestFault{err.fault_addr, false, err.oom, false, err.oom};
      break;
    }
    scratch_.push_back(in);
    pc += in.len;
    if (in.fn == &op_ud) break;
    const uint32_t form = in.row != 0xffff ? op_table()[in.row].form : 0;
    if (form & (F_BRANCH | F_STOP)) break;
  }
  // Pages inherited by retire() and not yet checked are settled before this block joins
  // them (a check that fails drops their old blocks, never this one).
  if (__builtin_expect(!unverified_.empty(), 0))
    for (uint64_t page = page_down(rip); page < pc; page += PAGE) check_page(mem, page);
  auto b = Block::make(scratch_.data(), (uint32_t)scratch_.size());
  b->start = rip;
  b->end = pc;
  const Insn& last = b->insns.back();
  b->ends_indirect = last.row != 0xffff && (op_table()[last.row].form & F_IND);
  b->page = &heat_[page_down(rip)];
  if (counters) counters->blocks_decoded++;
  bytes_ += sizeof(Block) + (uint64_t)b->n * sizeof(Insn);
  Block* raw = b.get();
  for (uint64_t page = page_down(rip); page < pc; page += PAGE) by_page_[page].push_back(rip);
  blocks_.insert(rip, std::move(b));
  slot = raw;
  return raw;
}

namespace {
TierFactory g_tier_factory = nullptr;  // process-wide setting (the CLI's --jit), not machine state
}
void set_tier_factory(TierFactory f) { g_tier_factory = f; }

static bool ends_stop(const Block& b) {
  const Insn& last = b.insns.back();
  return last.row != 0xffff && (op_table()[last.row].form & F_STOP);
}

void BlockCache::invalidate_page(uint64_t page) {
  if (__builtin_expect(!unverified_.empty(), 0)) unverified_.erase(page);
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return;
  // A store into the block being run takes effect at the next instruction: the run
  // loop (or the compiled region) leaves the block after the storing instruction and
  // goes on (code_stop: run() itself does not return). So does a store into any block of
  // a compiled region that holds the running block (Tier::invalidate_page). Not after a
  // block-ending F_STOP instruction (a syscall writing the page: it ends the block and the
  // compiled region anyway, and may set cpu.stop itself for the scheduler, which must
  // stay set).
  const auto stop_running = [&] {
    if (running && cpu && !cpu->stop && !(cpu->rip == running->end && ends_stop(*running))) {
      cpu->stop = true;
      code_stop = true;
    }
  };
  if (tier && tier->invalidate_page(page)) stop_running();
  for (uint64_t start : it->second) {
    Block* const b = blocks_.find(start);
    if (!b) continue;
    if (b == running) stop_running();
    Block*& slot = fast_[fast_index(start)];
    if (slot == b) slot = nullptr;
    bytes_ -= sizeof(Block) + (uint64_t)b->n * sizeof(Insn);
    graveyard_.push_back(blocks_.take(start));
    link_epoch++;
    if (counters) counters->block_invalidations++;
  }
  by_page_.erase(it);
}

void BlockCache::clear() {
  if (tier) tier->clear();
  if (running && cpu) cpu->stop = true;
  blocks_.clear_into(&graveyard_);
  bytes_ = 0;
  unverified_.clear();
  link_epoch++;
  by_page_.clear();
  heat_.clear();  // (a block still running from the graveyard no longer touches its page)
  clear_front();
}

std::vector<HotEntry> BlockCache::hot_entries(uint64_t min_execs) const {
  std::vector<HotEntry> out;
  blocks_.for_each([&](uint64_t rip, const Block& b) {
    if (b.execs >= min_execs && b.execs > 0 && (unverified_.empty() || visible(b))) out.push_back({rip, b.execs, b.indirect_entries, b.page->heat});
  });
  std::sort(out.begin(), out.end(), [](const HotEntry& a, const HotEntry& b) {
    return a.execs != b.execs ? a.execs > b.execs : a.rip < b.rip;
  });
  return out;
}

uint64_t BlockCache::page_heat(uint64_t addr) const {
  auto it = heat_.find(page_down(addr));
  return it == heat_.end() ? 0 : it->second.heat;
}

const Block* BlockCache::find(uint64_t rip) const {
  const Block* b = blocks_.find(rip);
  if (!b || (__builtin_expect(!unverified_.empty(), 0) && !visible(*b))) return nullptr;
  return b;
}

// ---- reuse by the next process (retire, adopt, check_page) ----
// A page's identity is a 64-bit hash of its 4096 bytes (two multiply-rotate lanes over
// 8-byte words, folded): a page that differs from the one its blocks were decoded from
// hashes the same with probability about 2^-64; even then the guest only runs the
// instructions of its own earlier program, inside the same engine.
static uint64_t page_hash(const uint8_t* d) {
  uint64_t a = 0x243f6a8885a308d3ull, b = 0x13198a2e03707344ull;
  for (size_t i = 0; i < PAGE; i += 16) {
    uint64_t w0, w1;
    memcpy(&w0, d + i, 8);
    memcpy(&w1, d + i + 8, 8);
    a = (a ^ w0) * 0x9e3779b97f4a7c15ull;
    a = (a << 29) | (a >> 35);
    b = (b ^ w1) * 0xc2b2ae3d27d4eb4full;
    b = (b << 31) | (b >> 33);
  }
  uint64_t h = a ^ (b * 0x165667b19e3779f9ull);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

void BlockCache::retire(AddressSpace& mem) {
  // (Called from the exit or execve syscall: the running block may be dropped below, but
  // that must not stop the run loop as a store into it would; the syscall stops it.)
  running = nullptr;
  if (tier) tier->retire();
  std::vector<uint64_t> doomed;
  blocks_.for_each([&](uint64_t rip, const Block& b) {
    if (b.fetch_fault) doomed.push_back(page_down(rip));  // (the next page may be mapped next time)
  });
  for (const auto& [page, starts] : by_page_) {
    if (unverified_.count(page)) continue;  // inherited and never checked here: keeps its first hash
    const uint8_t* d = mem.host_read_ptr(page);
    if (d) unverified_[page] = page_hash(d);
    else doomed.push_back(page);
  }
  for (uint64_t page : doomed) invalidate_page(page);
  clear_front();
  link_epoch++;
}

void BlockCache::adopt() {
  if (tier) tier->adopt();
  running = nullptr;
  cpu = nullptr;
  code_stop = false;
  collect_garbage();
  clear_front();
  link_epoch++;
}

bool BlockCache::visible(const Block& b) const {
  for (uint64_t p = page_down(b.start); p < b.end; p += PAGE)
    if (!page_checked(p)) return false;
  return true;
}

bool BlockCache::check_page(AddressSpace& mem, uint64_t page) {
  auto it = unverified_.find(page);
  if (it == unverified_.end()) return true;  // checked already, or decoded here
  const uint64_t want = it->second;
  unverified_.erase(it);
  const uint8_t* d = mem.fetch_page(page);
  if (d && page_hash(d) == want) {
    if (counters) {
      counters->code_pages_reused++;
      if (auto bp = by_page_.find(page); bp != by_page_.end())
        for (uint64_t start : bp->second) counters->blocks_reused += page_down(start) == page;
    }
    return true;
  }
  if (counters) counters->code_pages_rejected++;
  invalidate_page(page);
  return false;
}

bool BlockCache::check_block(AddressSpace& mem, const Block& b) {
  const uint64_t start = b.start, end = b.end;
  for (uint64_t p = page_down(start); p < end; p += PAGE)
    if (!check_page(mem, p)) return false;  // (b is dropped with that page)
  if (b.jit_fn && tier) {
    // A compiled region runs its other blocks without asking get(): all of its pages
    // are checked now; one that differs drops the region (b stays, interpreted).
    std::vector<uint64_t> pages;
    tier->region_pages(b, pages);
    for (uint64_t p : pages) check_page(mem, p);
  }
  return true;
}

// What the fault path needs is in memory, written once per block (bc.running), never in
// locals the catch would read (wasm's exception lowering saves those around every
// handler call). The catch finds the faulting instruction from cpu.rip: the loop sets it
// to the end of each instruction before the handler runs, and a handler that faults
// changes nothing, rip included.
// The CpuException of the guest fault being handled; call it only inside a catch. Any
// other exception (bad_alloc ...) is rethrown to the caller's caller. Shared by run() and
// step_one(), so a new fault kind is added in one place.
CpuException current_fault() {
  CpuException ex;
  try {
    throw;
  } catch (const GuestFault& f) {
    ex.kind = CpuException::PAGE_FAULT;
    ex.addr = f.addr;
    ex.write = f.write;
    ex.mapped = f.mapped;
    ex.bus = f.bus;
    ex.oom = f.oom;
  } catch (const GpFault&) {
    ex.kind = CpuException::GP;
  } catch (const DivFault&) {
    ex.kind = CpuException::DIV;
  } catch (const TrapFault&) {
    ex.kind = CpuException::TRAP;
  } catch (const FpFault& e) {
    ex.kind = CpuException::FPE;
    ex.code = e.code;
  }
  return ex;
}

CpuException step_one(Cpu& cpu) {
  CpuException ex;
  cpu.stop = false;
  const uint64_t start = cpu.rip;
  try {
    Insn in;
    DecodeError err;
    decode(*cpu.mem, start, in, &err);  // throws if the first byte cannot be fetched
    if (in.len == 0) throw GuestFault{err.fault_addr, false, err.oom, false, err.oom};
    cpu.rip = start + in.len;
    in.fn(cpu, in);
    cpu.icount++;
    return ex;
  } catch (...) {
    ex = current_fault();
  }
  cpu.rip = start;  // the faulting instruction did not retire
  return ex;
}

CpuException run(Cpu& cpu, BlockCache& bc, uint64_t budget) {
  CpuException ex;
  const uint64_t limit = cpu.icount + budget;
  cpu.stop = false;
  bc.limit = limit;
  bc.cpu = &cpu;
  if (__builtin_expect(!bc.tier_checked, 0)) {
    bc.tier_checked = true;
    if (g_tier_factory) g_tier_factory(bc);
  }
  bool via_indirect = false;  // the previous block ended in an indirect branch
  bool declined = false;      // the region returned 1: it declined this block's entry (jit.h)
  Block* prev = nullptr;      // the block run last, if still live (its links name the next)
  try {
    while (cpu.icount < limit && !cpu.stop) {
      uint64_t pc = cpu.rip;
      bc.running = nullptr;  // (a fault while fetching the block: rip and the count stay)
      Block* const b = prev ? bc.next(*cpu.mem, prev, pc) : bc.get(*cpu.mem, pc);
      const uint64_t epoch = bc.link_epoch;
      bc.running = b;
      // Second tier: compile when the block's runs reach tier_at (never without a tier),
      // then run the compiled region; it returns with cpu.rip at the next block.
      if (__builtin_expect(b->execs + 1 >= bc.tier_at, 0) && !bc.interpret_only && !declined) {
        if (!b->jit_fn && !b->jit_failed && (int32_t)((uint32_t)b->execs - b->jit_ask) >= 0) bc.tier->compile(*b);
        if (b->jit_fn) {
          const uint64_t at = cpu.icount;
          cpu.jit.entries++;
          declined = b->jit_fn(&cpu, b->jit_entry) != 0;  // (then cpu.rip is a block start: run it here once)
          cpu.jit.declined += declined;
          cpu.jit.icount += cpu.icount - at;  // (a fault through the region loses its share)
          if (__builtin_expect(bc.code_stop, 0)) { bc.code_stop = false; cpu.stop = false; }
          if (__builtin_expect(bc.grow_request != 0, 0)) {
            const uint64_t region_entry = bc.grow_request;
            bc.grow_request = 0;
            bc.tier->grow(region_entry);
          }
          via_indirect = false;
          prev = nullptr;  // (the region returns at a block of its own choosing)
          bc.collect_garbage();
          continue;
        }
      }
      declined = false;
      const uint32_t n = b->n;
      // Profile, once per block.
      bc.prof_runs++;
      b->execs++;
      if (via_indirect) { b->indirect_entries++; bc.prof_indirect++; }
      via_indirect = b->ends_indirect;
      const uint64_t h = b->page->heat += n;
      if (__builtin_expect(h >= BlockCache::kHotHeat && h - n < BlockCache::kHotHeat, 0)) bc.prof_hot++;
      // The block's instructions count up front, all but the last: while an instruction
      // runs, cpu.icount is the number retired before it whenever anything can look (a
      // syscall, an illegal instruction, a branch: those end a block).
      cpu.icount += n - 1;
      const Insn* in = b->insns.data();
      const Insn* const end = in + n;
      for (;;) {
        pc += in->len;
        cpu.rip = pc;
        fast::step(cpu, *in);
        ++in;
        if (__builtin_expect(cpu.stop, 0) || in == end) break;
      }
      // Retired (in - begin) of the n - 1 counted: +1 after a whole block, less after a stop.
      cpu.icount += (uint64_t)(in - b->insns.data()) - (n - 1);
      if (b->ends_indirect && in == end) b->ind_target = cpu.rip;  // (the profile the JIT reads)
      if (__builtin_expect(bc.code_stop, 0)) { bc.code_stop = false; cpu.stop = false; }
      bc.collect_garbage();
      prev = bc.link_epoch == epoch ? b : nullptr;  // (b dropped while it ran: gone now)
    }
    bc.running = nullptr;
    bc.cpu = nullptr;
    bc.collect_garbage();
    bc.flush_profile();
    return ex;
  } catch (...) {
    ex = current_fault();  // a guest fault; anything else propagates
  }
  // The faulting instruction is the one that ends at cpu.rip; it did not retire: rip
  // goes back to its start and the count keeps the instructions before it.
  if (const Block* b = bc.running) {
    uint64_t pc = b->start;
    uint32_t k = 0;
    while (k + 1 < b->n && pc + b->insns[k].len != cpu.rip) pc += b->insns[k++].len;
    cpu.rip = pc;
    cpu.icount += (uint64_t)k - (b->n - 1);
  }
  bc.running = nullptr;
  bc.cpu = nullptr;
  bc.flush_profile();
  bc.collect_garbage();
  return ex;
}

}  // namespace gb
