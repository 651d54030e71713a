// vm/cpu/interp.h — the interpreter: decoded-block cache and the run loop.
//
// A Block is a run of decoded instructions starting at a guest address and ending at a
// branch (F_BRANCH), an instruction that must stop the block (F_STOP), an undecodable
// instruction, or kMaxBlock instructions. Blocks are cached by start address per
// address space; writes to a page holding code (caught by the TLB, see
// address_space.h) drop every block on that page.
//
// A Block and its instructions are one allocation (Block::make). Each block links to the
// blocks that ran after it (Block::link), so run() finds the next block without a
// lookup on most transitions; a link is valid while BlockCache::link_epoch is unchanged
// (dropping any block bumps it).
//
// run() executes whole blocks until the instruction budget is spent, cpu.stop is set
// (syscalls that change the task or address space set it), or the guest faults. A
// fault leaves cpu.rip at the faulting instruction and is returned as a CpuException
// for the OS personality to turn into a signal.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "vm/base/counters.h"
#include "vm/cpu/cpu.h"
#include "vm/cpu/optable.h"

namespace gb {
class Trace;
class RecordRing;

class AddressSpace;

// The interpreter's profile of one page of guest code (BlockCache::page_heat).
struct PageHeat {
  uint64_t heat = 0;  // guest instructions run in blocks that start on the page
};

// A block's decoded instructions: stored right after its Block, in the same allocation
// (Block::make), so running a block touches one run of memory, not two.
struct InsnSpan {
  Insn* p = nullptr;
  uint32_t count = 0;
  Insn* data() const { return p; }
  size_t size() const { return count; }
  Insn& operator[](size_t i) const { return p[i]; }
  Insn& back() const { return p[count - 1]; }
  Insn* begin() const { return p; }
  Insn* end() const { return p + count; }
};

struct Block {
  // The fields run() reads on every run come first (the first 64 bytes in wasm), then
  // the rest; 96 bytes in wasm, ordered so that no field needs padding before it.
  uint64_t start = 0, end = 0;  // guest byte range [start, end)
  InsnSpan insns;               // (after this struct, same allocation)
  uint32_t n = 0;               // insns.size()
  bool ends_indirect = false;   // the last instruction is an indirect branch (F_IND)
  bool jit_failed = false;      // second tier: compiling was tried and refused
  bool fetch_fault = false;     // the last insn could not be fetched (fault when reached)
  // Profile (see "Profiling" below): counted once per run of the block, never per insn.
  uint64_t execs = 0;             // times the block was run
  // Successor links (run() only): the block that ran after this one when it fell
  // through to `end` (link[0]) and when it went elsewhere (link[1]: a branch taken, a
  // call, the last target of an indirect branch). Valid while link_epoch equals the
  // cache's: dropping any block bumps the epoch, so a link never names a freed block.
  uint64_t link_epoch = 0;
  Block* link[2] = {nullptr, nullptr};
  // Second tier (Tier below): the compiled region holding this block, entered at
  // jit_entry; null while interpreted.
  uint32_t (*jit_fn)(Cpu*, uint32_t) = nullptr;
  PageHeat* page = nullptr;       // its start page's heat (owned by the BlockCache)
  uint32_t jit_entry = 0;
  // While interpreted: the run (low 32 bits of execs, compared modulo 2^32) from which
  // run() asks the tier again (Tier::compile sets it when it queues the block; 0: at once).
  uint32_t jit_ask = 0;
  uint64_t fault_addr = 0;
  uint64_t indirect_entries = 0;  // runs entered from an indirect jump, call or return
  uint64_t ind_target = 0;        // ends_indirect: where its branch went the last time it ran
                                  // interpreted (the JIT compiles that target's compare inline)

  // A block of n instructions copied from src, in one allocation; `delete` frees it.
  static std::unique_ptr<Block> make(const Insn* src, uint32_t n);
  static void operator delete(void* p) { ::operator delete(p); }

 private:
  Block() = default;
};

}  // namespace gb

#include "vm/cpu/block_map.h"  // (needs Block complete)

namespace gb {

// A second execution tier (vm/jit) plugs into the block cache through this interface
// (vm/cpu never includes vm/jit). run() asks it to compile a block whose execs reach
// BlockCache::tier_at (~0: never), then calls the block's jit_fn instead of
// interpreting it. A compiled region keeps run()'s invariants (bc.running, cpu.rip and
// cpu.icount as the interpreter keeps them), so the fault path is the same.
class BlockCache;
class Tier {
 public:
  virtual ~Tier() = default;
  virtual void compile(Block& b) = 0;                 // may set b.jit_fn, b.jit_failed or b.jit_ask
  // Before the page's blocks are dropped. Returns whether a region it dropped holds the
  // running block (then that region may be the one running: it must stop after the
  // storing instruction, though the store hit another of its blocks).
  virtual bool invalidate_page(uint64_t page) = 0;
  virtual void clear() = 0;                           // before every block is dropped
  // The pages spanned by every block of the compiled region holding b (none: b is not
  // compiled). An inherited region is entered only once all of them are checked.
  virtual void region_pages(const Block& b, std::vector<uint64_t>& out) const { (void)b; (void)out; }
  // The process goes and the cache is kept for the program's next one (retire()), and
  // that one takes it (adopt()).
  virtual void retire() {}
  virtual void adopt() {}
  // get() found b, compiled, in an inherited cache, every page of its region checked in
  // this process (check_block): the region may be chained to again (jit.h, "Chained
  // regions"; retire() took every region out of the chain table).
  virtual void reused(const Block& b) { (void)b; }
  // A compiled region asked to be compiled again, bigger (its exits to other regions
  // passed a count: jit.h "Regions that grow"); `rip` is its entry block's start.
  virtual void grow(uint64_t rip) { (void)rip; }
};
// Attaches a tier to a block cache (sets bc.tier and bc.tier_at): set once per process
// by the front end (the CLI's --jit), called by run() the first time it sees a cache.
using TierFactory = void (*)(BlockCache& bc);
void set_tier_factory(TierFactory f);

// Profiling for the JIT (vm/jit/, to come): the run loop counts, per block run, the
// block's executions, its page's heat (instructions) and whether it was entered through
// an indirect branch (ret, jmp/call r/m: the entries a compiled region must accept from
// outside) or directly (fall-through, jcc, jmp/call rel, or a slice start). A page whose
// heat passes kHotHeat counts once in the machine's "hot pages" counter. hot_entries()
// is what a JIT reads to choose where to compile.
struct HotEntry {
  uint64_t rip;               // block start
  uint64_t execs;             // runs of the block
  uint64_t indirect_entries;  // runs entered through an indirect branch
  uint64_t page_heat;         // instructions run in blocks of its page
};

class BlockCache {
 public:
  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();
  static constexpr int kMaxBlock = 64;
  static constexpr uint64_t kHotHeat = 200000;  // instructions: a page this warm is "hot"
  // The block at rip, decoding on a miss (may throw GuestFault). The fast path (a
  // direct-mapped slot) is inline; get_slow() looks up the map and decodes.
  Block* get(AddressSpace& mem, uint64_t rip) {
    Block* b = fast_[fast_index(rip)];
    if (__builtin_expect(b != nullptr && b->start == rip, 1)) return b;
    return get_slow(mem, rip);
  }
  void invalidate_page(uint64_t page);
  void clear();
  Counters* counters = nullptr;

  // ---- reuse by the next process of the same program (vm/linux/code_pool.h) ----
  // The address space this cache served is going (exit, execve) and `mem` is still
  // mapped: remember a hash of each page holding blocks and forget what names that
  // process (direct-mapped slots, links). Pages that cannot be read and blocks that end
  // in a fetch fault are dropped. The blocks, their profile and the tier's compiled
  // regions stay, but are unverified: a page's blocks become visible to get() and find()
  // only when the same page of the next address space fetches and hashes the same
  // (check_page, on the first get() of a block there); a block with a compiled region
  // checks every page of the region first. A page that differs is dropped like a
  // written one. Until then nothing of it runs, so no page is trusted by its address.
  void retire(AddressSpace& mem);
  // Called by the new owner before its first run(): the run state of the old one goes.
  void adopt();
  size_t unverified_pages() const { return unverified_.size(); }
  bool page_checked(uint64_t page) const { return unverified_.find(page) == unverified_.end(); }
  size_t live_blocks() const { return blocks_.size(); }
  uint64_t bytes() const { return bytes_; }  // decoded blocks' memory (Block::make sizes)  // the machine's (blocks decoded, invalidations); none: not counted

  // ---- profile (read by a JIT, the inspector, tests) ----
  // Live blocks run at least min_execs times, hottest first (ties: lower address first).
  std::vector<HotEntry> hot_entries(uint64_t min_execs) const;
  // Heat of the page holding addr (0 if no block ever started there), and the block
  // starting at rip (null if none is decoded).
  uint64_t page_heat(uint64_t addr) const;
  const Block* find(uint64_t rip) const;

 private:
  Block* get_slow(AddressSpace& mem, uint64_t rip);
  bool check_block(AddressSpace& mem, const Block& b);  // retire(): its pages (and its region's) hash the same
  bool check_page(AddressSpace& mem, uint64_t page);
  bool visible(const Block& b) const;                   // no page of b is unverified
  std::unordered_map<uint64_t, uint64_t> unverified_;   // page -> hash of its bytes (retire())
  uint64_t bytes_ = 0;
  BlockMap blocks_;  // start -> block (owned)
  std::unordered_map<uint64_t, std::vector<uint64_t>> by_page_;
  std::unordered_map<uint64_t, PageHeat> heat_;  // by page; node addresses are stable
  // A direct-mapped front of blocks_, indexed by a multiplicative (Fibonacci) hash of
  // the whole rip: blocks at the same offset of different pages do not evict each other.
  static constexpr int kFastBits = 16, kFast = 1 << kFastBits;  // (4096 missed often on python)
  static size_t fast_index(uint64_t rip) { return (size_t)((rip * 0x9e3779b97f4a7c15ull) >> (64 - kFastBits)); }
  // The front's kFast slots (256 KB in wasm) are allocated by the first miss: until then
  // fast_ is a shared all-null array that nothing writes (get() reads it and misses). A
  // cache that never runs anything (the first task's before its execve, the one an
  // execve leaves behind) no longer zeroes 64 fresh pages (docs/jit.md, "Node's start").
  static Block* const kNoFront[kFast];
  Block** fast_ = const_cast<Block**>(kNoFront);
  void clear_front();
  std::vector<std::unique_ptr<Block>> graveyard_;  // dropped while possibly executing
  std::vector<Insn> scratch_;                      // decoding buffer: one allocation per block
 public:
  // Run-loop state kept in memory rather than in locals, so that nothing needs saving
  // around each handler call for the fault path (wasm's exception lowering spills every
  // local the catch reads before every call that may throw): written once per block.
  Block* running = nullptr;  // the block being run (null while fetching one)
  uint64_t prof_runs = 0, prof_indirect = 0, prof_hot = 0;  // folded into counters by run()
  void flush_profile() {
    if (counters) {
      counters->block_runs += prof_runs;
      counters->indirect_entries += prof_indirect;
      counters->hot_pages += prof_hot;
    }
    prof_runs = prof_indirect = prof_hot = 0;
  }
  void collect_garbage() { if (__builtin_expect(!graveyard_.empty(), 0)) graveyard_.clear(); }
  // The block run after `prev` at rip: its successor link when that still names a live
  // block starting there, else get() (and the link remembers it). Following links skips
  // the direct-mapped front, whose slots are scattered over 512 KB: on cold code (python's
  // start-up, cc1) its load missed the cache on most block transitions (docs/jit.md,
  // "The interpreter's cold path").
  Block* next(AddressSpace& mem, Block* prev, uint64_t rip) {
    if (prev->link_epoch != link_epoch) {
      prev->link[0] = prev->link[1] = nullptr;
      prev->link_epoch = link_epoch;
    }
    Block*& l = prev->link[rip != prev->end];
    if (__builtin_expect(l != nullptr && l->start == rip, 1)) return l;
    Block* b = get(mem, rip);
    l = b;
    return b;
  }
  uint64_t link_epoch = 1;  // bumped whenever a block is dropped (Block::link)

  // ---- second tier (Tier above) ----
  // The inspector's records (vm/trace/record.h: JitRegion, JitDrop) and the process they
  // name (the last to run this cache); set by the kernel before each slice, may be null.
  // (Declared before `tier`: still alive while the tier's destructor reports.)
  RecordRing* records = nullptr;
  int32_t rec_pid = 0, rec_tid = 0;
  std::unique_ptr<Tier> tier;
  uint64_t tier_at = ~0ull;     // compile a block when its execs reach this
  bool tier_checked = false;    // the factory was asked
  uint64_t limit = 0;           // run()'s instruction limit (compiled loops exit at it)
  uint64_t grow_request = 0;    // set by compiled code: the entry of a region to grow (Tier::grow)
  // Set by the debugger while it runs a watched task block by block: run() neither
  // compiles nor enters a region (a region runs on to its next loop head or exit, past
  // the breakpoints between; vm/linux/debug.h). Blocks keep counting their runs.
  bool interpret_only = false;
  Cpu* cpu = nullptr;           // the cpu in run() (a code write into the running block stops it)
  Trace* trace = nullptr;       // the machine's event stream (the tier's region events), may be null
  bool code_stop = false;       // cpu.stop was set only for that: run() clears both and goes on
};

struct CpuException {
  enum Kind { NONE, PAGE_FAULT, GP, DIV, TRAP, FPE } kind = NONE;
  uint64_t addr = 0;   // faulting data address (PAGE_FAULT)
  bool write = false;
  bool mapped = false; // protection fault (SEGV_ACCERR) vs no mapping (SEGV_MAPERR)
  bool bus = false;    // SIGBUS (file mapping beyond EOF)
  bool oom = false;    // no memory for a mapped page (the OOM killer decides)
  int code = 0;        // FPE: si_code
};

CpuException run(Cpu& cpu, BlockCache& bc, uint64_t budget);

// Runs the one instruction at cpu.rip, decoded afresh, outside the block cache (a
// debugger's step, ptrace's SINGLESTEP and watchpoints). A fault leaves rip on it.
CpuException step_one(Cpu& cpu);
// Inside a catch: the CpuException of the guest fault being handled (others rethrown).
CpuException current_fault();

}  // namespace gb
