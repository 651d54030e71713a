// vm/jit/jit.h — the JIT: hot x86-64 code becomes WebAssembly (the node and browser
// builds; the native build keeps the interpreter and compiles only the compiler itself,
// for its tests). docs/jit.md has the whole story; the decisions:
//
// * Regions. From a block the interpreter ran tier_at times (`--jit on`: 4000 runs;
//   `always`: its first run), the blocks already decoded and reachable by direct jumps
//   (jcc both ways, jmp rel, call rel's target and return address) or by an indirect
//   branch to where the interpreter saw it go last (Block::ind_target), the most run
//   first, starting in at most kMaxPages pages, at most kMaxBlocks (small: V8's TurboFan
//   time grows faster than a function's size), become one wasm function in one module: a
//   switch-in-a-loop dispatcher (compiler.cpp). Every block of it gets jit_fn/jit_entry,
//   so the run loop enters the region at any of them. Only decoded blocks are taken
//   (no decoding on the compiler's behalf: no page faults or code marks of its own).
// * Batches and the threshold (`on`). A block reaching tier_at is queued; the queue
//   becomes one module of several functions (one per region) when kBatch entries wait or
//   a waiting block ran tier_at more times (kColdWait times that before the process's
//   first batch, which also pays for V8's lazy compile of the compiler itself: 8-12 ms);
//   the block's jit_ask tells run() when to ask again, so a waiting block costs nothing
//   per run. V8's fixed cost per module (~1 ms here, in
//   new WebAssembly.Module and Instance) is paid once per batch. After each batch the
//   threshold adapts: doubled while compile time exceeds kShare of the time since the
//   tier began or a new process adopted it (code_pool.h), halved back towards kOnThreshold when well under
//   (the engine's first batch, mostly V8's lazy compile of the compiler, is not counted);
//   so compiling costs a bounded share of any run. `always` compiles at once, one region
//   a module (the test mode).
// * Calls into the engine. The module imports the engine's memory and, as functions, the
//   interpreter handlers and memory slow paths (helpers.cpp) it calls: a Handler in wasm
//   is a table index, and the instantiation (jit_host.cpp) passes wasmTable.get(index)
//   for each (type (i32 cpu, i32 insn) -> ()). Calls are direct. Not the table itself:
//   V8 (node 18) gives every instance that imports a table its own dispatch copy, so each
//   instantiation and each table.set cost O(table + instances) (measured: ms per region
//   after a few thousand). The export goes into a free slot of the engine's table (grown
//   256 at a time); the slot is the region's function pointer.
// * Precise state. Guest faults stay C++ (wasm) exceptions, thrown by handlers and
//   helpers and unwinding through the compiled frame to run()'s catch, which is
//   unchanged: compiled code keeps the interpreter's invariants wherever something can
//   look, i.e. before any call that may throw or read them and at exits (bc.running =
//   the block, stored before a block's first call and in slow paths; cpu.icount = the
//   block's start + n-1, from the count kept in a local; cpu.rip = the end of the
//   instruction; registers written back; an instruction commits nothing before its last
//   possible fault). Throwing is slow in
//   V8, but guest faults are rare (a fork's COW breaks are not faults: they are slow-path
//   helper calls that return).
// * Stops and the budget. After every call that may set cpu.stop (handlers, the store
//   slow path, which may hit a page holding code) the code tests it and leaves with rip
//   and icount exact. At the head of every compiled loop (blocks a back edge enters) it
//   compares the count with bc.limit (run()'s limit, both in locals) and leaves when
//   spent, so the scheduler, timers and signals run on time. Loops are wasm loops: a
//   block that is its own successor, and spans of blocks with back edges to their head
//   (compiler.cpp); the br_table dispatcher is for entries and the rare other edges.
// * A region returns 0, or 1 when it declined an entry: a loop whose SSE guards assume
//   registers free of denormals found one on entry (compiler.cpp, loop_entry_guard), and
//   left with cpu.rip at the loop's block, nothing run; the run loop interprets that
//   block once before it enters compiled code again (else it would re-enter at once).
// * Chained regions. An exit of a region whose target is a block of any live compiled
//   region of the same address space goes on there without the run loop: the state is
//   written back as for a return, then the target is looked up in the tier's chain table
//   (linear memory, kChainBits direct-mapped slots: guest address -> Block, slot in the
//   hub's table, entry index) and entered by a tail call of the hub, a function of a
//   small module of its own (jit_host.cpp) that tail-calls the region through its own
//   table. Region modules import the hub as a function, not the table: V8 (node 20)
//   keeps a dispatch copy of a table in every instance importing it and never drops dead
//   instances from the list each table.set walks. The run loop's part of an entry is
//   done there (bc.running, the count in --stats, "jit chained"); the budget and
//   cpu.stop are tested first. Static targets and run-time ones (ret, jmp/call through a
//   register or memory, a handler's branch) take the same lookup, one copy per function
//   after its body. A region leaves the chain table when it is dropped (before its slots
//   are freed), and every region when its process retires the cache: the next process
//   enters a region first through get(), which checks its pages; then (reused()) it goes
//   back into the chain table, keeping its slot in the hub's. Without wasm tail calls in
//   the host, exits return as before.
// * Regions that grow. A region counts its exits through the chain lookup in a u32 cell
//   of linear memory (cells_); at the kGrowAt-th (--jit-grow) it stores its entry's
//   address in bc.grow_request and returns to the run loop, which calls grow(): the
//   region is formed again from its entry and, past kMaxBlocks, goes on along blocks run
//   at least half as often as the entry (up to kMaxHotBlocks in kMaxHotPages pages). If
//   that region holds a whole loop through its entry (an edge back to it), it is compiled
//   alone, uncounted, and takes over its blocks' jit_fn and chain slots; the old regions
//   stay for their other ways in. Its compile time is reported but does not move the
//   threshold (it is not new code). Why so late (a million exits): V8 starts the new,
//   bigger function in its baseline tier, and TurboFan takes 50-100 ms on 20-28 KB; a
//   loop that ran that long is likely to run longer (docs/jit.md "Regions that grow").
// * Registers and flags across blocks (compiler.cpp). The guest registers a region
//   touches are loaded into wasm locals at its entry and stay there across its blocks;
//   a local newer than memory is written back before every call that can fault or look
//   (handlers, slow paths) and at every exit. Flags are deferred: an inline ALU
//   instruction leaves its operands and cc op in locals, and the cc record is written
//   only before such a call or an exit, so a fault still sees the exact flags.
// * Visibility. Trace events JitRegion (compiled: guest start/end, x86 instructions,
//   compile us, wasm bytes) and JitDrop (invalidated, why), and the same as the
//   inspector's binary records (bc.records: RecKind::JitRegion / JitDrop, plus one
//   JitDrop "process gone" when an address space with regions goes); describe_region()
//   returns a region's x86 bytes, a module of it and its listing (x86 instruction ->
//   wasm); region_summaries() lists them with their compile time.
// * Invalidation. BlockCache::invalidate_page tells the tier first: every region with a
//   block on that page is dropped (its blocks lose jit_fn, its table slot is freed).
//   The Blocks themselves (whose Insns the compiled code passes to handlers) go to the
//   block cache's graveyard, alive until the run loop's next collect_garbage, after the
//   compiled call returned. A store into the running block sets cpu.stop (interp.cpp),
//   so the region leaves after the storing instruction (the interpreter does the same);
//   so does a store into any block of a region that holds the running block (another
//   page's code a loop calls: invalidate_page returns it).
//   The page's address space calls invalidate_page for a store through any view of the
//   page: its own mapping, a second mapping of the same shared frame (here or in another
//   process), write()/truncate on its file (PhysMem's code frames, vm/mem/address_space.h).
// * Reuse by the program's next process. A block cache outlives its address space
//   (vm/linux/code_pool.h): its regions stay compiled, retire() records them leaving the
//   process, and the next process enters one only after every page of it was checked
//   (BlockCache::check_block asks region_pages()).
// * A bounded code cache. Compiled regions are counted process-wide (every tier: wasm
//   bytes, its share of its module's, and table slots). Before a batch is instantiated the
//   oldest regions (by compile order: generations, no use bits to keep) of any address
//   space are evicted until the batch fits the budget (kCacheBytes, kCacheRegions, or
//   --jit-cache); an evicted region is dropped as an invalidated one is (JitDrop,
//   "evicted"): its blocks run interpreted until hot again. A module's memory goes when
//   the last of its regions does.
#pragma once
#include <cstdint>
#include <map>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "vm/cpu/interp.h"
#include "vm/jit/compiler.h"

namespace gb::jit {

enum class Mode { Off, On, Always };
constexpr uint64_t kOnThreshold = 4000;  // `--jit on`: block runs before its region is queued (docs/jit.md, "V8 compiles the compiler")
constexpr size_t kMaxBlocks = 8;         // blocks per region (docs/jit.md, "Smaller regions")
constexpr size_t kMaxHotBlocks = 32;     // past kMaxBlocks, blocks as hot as the entry (grow(); docs/jit.md "Regions that grow")
constexpr size_t kMaxHotPages = 8;       // and the pages those may start in
constexpr uint32_t kGrowAt = 1u << 20;   // a region's exits to other regions before it grows (jit.h "Regions that grow")
constexpr size_t kMaxPages = 4;          // pages a region's blocks start in
constexpr size_t kBatch = 16;            // `on`: regions per module (the queue is compiled when full)
constexpr double kShare = 0.05;          // `on`: compile time kept under this share of the run's time
constexpr uint64_t kColdWait = 8;        // `on`: a queued block's extra runs (x tier_at) before the first batch
constexpr uint64_t kMaxThreshold = 1ull << 22;
constexpr uint64_t kCacheBytes = 32ull << 20;  // the code cache's budget: wasm bytes of live regions
constexpr uint32_t kChainBits = 12;         // chain table slots (1 << kChainBits, 16 bytes each), per address space
constexpr uint32_t kCacheRegions = 8192;       // and live regions (table slots)

// Whether this build can run compiled code (wasm builds; the native build cannot).
bool available();
// Process-wide: every block cache made from now on gets a JIT in this mode (run()
// attaches it). dump_dir: write each region's .wasm and .txt listing there ("" = no).
void configure(Mode mode, const std::string& dump_dir = "");
bool parse_mode(const std::string& s, Mode& out);
// The code cache's budget, process-wide (0: the default). Live totals for --stats.
void set_cache_limits(uint64_t bytes, uint32_t regions);
// `on`'s starting (and lowest) threshold, process-wide (0: kOnThreshold).
void set_threshold(uint64_t runs);
// Regions that grow: exits to other regions before a region is compiled again, bigger
// (default kGrowAt; 0: never). Process-wide, like the threshold (the CLI's --jit-grow).
void set_grow(uint32_t exits);
struct CacheUse { uint64_t bytes = 0, peak_bytes = 0, limit_bytes = 0, evicted = 0; uint32_t regions = 0, limit_regions = 0; };
CacheUse cache_use();

// The blocks of the region entered at `entry` (entry first): see "Regions" above.
// grow: past kMaxBlocks along blocks as hot as the entry (Tier::grow; "Regions that grow").
std::vector<const Block*> form_region(const BlockCache& bc, const Block& entry, bool grow = false);

// What the inspector shows of a compiled region: its guest code, its module and the
// listing mapping every x86 instruction to the wasm made from it (recompiled on demand
// with the listing on: the compiler is pure, so it is the same code).
struct RegionInfo {
  uint64_t start = 0, end = 0;   // guest range of its entry block .. last block's end
  uint32_t insns = 0, table_index = 0;
  std::vector<uint64_t> block_starts, block_ends;  // entry first
  std::vector<uint8_t> x86;      // each block's bytes, in block order
  std::vector<uint8_t> wasm;     // a module holding this region alone
  std::string listing;
};
// The compiled region holding the block at `rip` in `bc` (false: none, or no JIT).
// `mem`: the address space of `bc` (its code bytes and TLB; needed between runs, when
// bc.cpu is null); null: bc.cpu's.
bool describe_region(const BlockCache& bc, uint64_t rip, RegionInfo& out, AddressSpace* mem = nullptr);
// The starts of every compiled region's entry block in `bc`.
std::vector<uint64_t> regions_of(const BlockCache& bc);
// Every compiled region of `bc` (by start): the inspector's list.
struct RegionSummary {
  uint64_t start = 0, end = 0, compile_us = 0;  // compile_us: its batch's (one module)
  uint32_t blocks = 0, insns = 0, wasm_bytes = 0, table_index = 0;
};
std::vector<RegionSummary> region_summaries(const BlockCache& bc);

class JitTier : public Tier {
 public:
  JitTier(BlockCache& bc, Mode mode, std::string dump_dir);
  ~JitTier() override;
  void compile(Block& b) override;
  bool invalidate_page(uint64_t page) override;
  void clear() override;
  void region_pages(const Block& b, std::vector<uint64_t>& out) const override;
  void retire() override;
  void adopt() override;
  void reused(const Block& b) override;
  void grow(uint64_t rip) override;
  bool describe(uint64_t rip, RegionInfo& out, AddressSpace* mem = nullptr) const;
  std::vector<uint64_t> entries() const;
  std::vector<RegionSummary> summaries() const;

 private:
  struct Region {
    uint32_t fn = 0;  // table index
    uint32_t insns = 0;
    uint64_t end = 0, us = 0;  // guest end (last block's), compile us of its batch
    std::vector<Block*> blocks;
    std::vector<uint64_t> pages;
    uint64_t start = 0;
    uint64_t age = 0;    // process-wide compile order (eviction: oldest first)
    uint32_t bytes = 0;  // its function's bytes and its share of its module's
    uint32_t rt = ~0u;   // its slot in the hub's table (~0: none, it is not chained to)
    bool chained = false;  // its blocks are in the chain table (retire() takes them out, reused() puts them back)
    uint32_t* exits = nullptr;  // its exits through the chain lookup (null: a grown region, never asks again)
  };
  friend void evict_for(uint64_t bytes, uint32_t regions);
  Region* region_of(const Block& b) const;  // the region b.jit_fn names (null: none)
  void drop(Region* r, const char* why, uint64_t page, bool evicted = false);
  void record_drop(uint16_t why, const Region* r, uint64_t page, uint32_t count);  // (bc_.records)
  void flush();  // compiles the queued entries' regions as one module
  // Compiles `regions` (entries[i]: region i's first block) as one module and installs
  // them; grown: regions made by grow(), which take over their blocks and are not counted.
  void build(const std::vector<std::vector<const Block*>>& regions, const std::vector<Block*>& entries, bool grown,
             std::chrono::steady_clock::time_point t0);
  void adapt();  // the threshold after a batch, from the compile share
  BlockCache& bc_;
  Mode mode_;
  std::string dump_dir_;
  // `on`: entries waiting for the next batch (start -> its execs when queued). Flushed
  // when kBatch are waiting or when a waiting block ran tier_at more times (hot now).
  std::map<uint64_t, uint64_t> queue_;
  uint64_t t0_us_ = 0, compile_us_ = 0;  // tier created or adopted (steady clock), compile time since
  uint64_t base_at_;  // the threshold adapt() never goes under (set_threshold)
  std::map<uint64_t, std::vector<Region*>> by_page_;
  std::map<Region*, std::unique_ptr<Region>> regions_;
  std::map<uint64_t, Region*> by_age_;  // age -> region (this tier's, oldest first)
  // The chain table (1 << kChainBits slots): every block of a live
  // region with a slot in the hub's table, by address (a slot holds the last one to claim it).
  // Compiled code reads it at every exit; it lives as long as the tier.
  std::unique_ptr<ChainSlot[]> chain_;
  uint32_t unchained_ = 0;  // regions retire() took out of the chain table and reused() has not put back
  void chain_put(Region& r);
  void chain_abi(Abi& abi) const;  // the chain table into a compile's layout (none: no chaining)
  void chain_remove(const Region& r);
  // Regions that grow: each counted region's exit count, a u32 cell of linear memory
  // (stable addresses; a dropped region's cell is used again).
  std::deque<uint32_t> cells_;
  std::vector<uint32_t*> free_cells_;
  uint32_t* new_cell();
  uint64_t seq_ = 0;
  bool quiet_ = false;  // clear(): one record for all the regions, not one each
};

}  // namespace gb::jit
