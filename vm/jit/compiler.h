// vm/jit/compiler.h — the region compiler: decoded blocks (vm/cpu/interp.h) in, one
// WebAssembly module out, plus a listing that maps every x86 instruction to its wasm.
//
// The compiler is pure: it reads Blocks and an Abi (where the compiled code finds the
// Cpu's fields, the TLB, the block cache's words, and the table indices of handlers
// and slow-path helpers) and returns bytes. The native build compiles it too, so its
// golden listings are unit-tested there (tests/unit/test_jit.cpp, tests/jit/).
// What the generated code does, and why, is in vm/jit/jit.h and docs/jit.md.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vm/cpu/interp.h"
#include "vm/cpu/optable.h"

namespace gb::jit {

struct Abi {
  // Offsets in Cpu (as the target sees it: wasm32 in the engine).
  uint32_t off_r = 0, off_rip = 0, off_cc = 0, off_icount = 0, off_stop = 0, off_mem = 0, off_fs = 0, off_gs = 0;
  uint32_t tlb_off = 0;                 // AddressSpace's TLB array (entries: rtag, wtag, delta)
  uint32_t tlb_entry_log2 = 5, tlb_mask = 0;  // entry size (1 << tlb_entry_log2 bytes), index mask
  uint32_t addr_running = 0, addr_limit = 0;  // &BlockCache::running, &BlockCache::limit
  uint32_t rd_helper[4] = {}, wr_helper[4] = {};  // table indices, sizes 1 2 4 8
  uint32_t cf_helper = 0;   // table index of helper_cf (type of a read helper: (cpu, unused) -> CF)
  uint32_t off_rflags = 0;  // Cpu::rflags (flags computed as bits are stored there, cc.op = CC_NONE)
  uint32_t off_xmm = 0, off_mxcsr = 0;  // Cpu::xmm[16] (16 bytes each), Cpu::mxcsr (compile_sse.cpp)
  uint32_t off_chained = 0;  // Cpu::jit.chained (the count of chained entries)
  // The tier's chain table (1 << chain_bits slots at chain_slot(address)): every block of
  // its live compiled regions by address; an exit looks its target up there and enters
  // the region by a tail call of the hub (an import), which tail-calls it through the
  // hub's own table (jit_host.cpp). 0: exits return to the run loop.
  uint32_t chain_table = 0, chain_bits = 0;
  // Regions that grow (jit.h): &BlockCache::grow_request, where a region whose exits
  // through the chain lookup reach grow_at stores its entry's address and returns.
  uint32_t addr_grow = 0, grow_at = 0;
  std::function<uint32_t(Handler)> handler;       // a handler's table index (imported by the module)
  std::function<uint32_t(const void*)> addr;      // an Insn's or a Block's address
  std::function<std::string(uint64_t, uint32_t)> bytes;  // hex of guest code (listing), may be empty
};

// The engine's own layout (offsets from the Cpu and AddressSpace it was compiled with).
Abi host_layout();

struct Compiled {
  std::vector<uint8_t> wasm;
  std::vector<uint32_t> imports;  // engine table indices of env."0", env."1", ... (in order)
  std::string listing;      // empty unless asked for
  uint32_t insns = 0;       // x86 instructions
  uint32_t inline_insns = 0;  // of which compiled inline (the rest call their handler)
  uint32_t body_bytes = 0;    // the function's code
  uint32_t gen_us = 0;        // time spent generating it (compile_batch)
};

// Several regions, one module (V8's fixed cost is per module): region i is the export
// export_name(i); regions[i] has its listing and counts (wasm and imports empty).
struct Batch {
  std::vector<uint8_t> wasm;
  std::vector<uint32_t> imports;
  std::vector<Compiled> regions;
};
// exit_cells[i] (if given, and not 0): region i's count of exits through the chain
// lookup, a u32 in linear memory (Abi::addr_grow); 0 or none: the region never asks to grow.
Batch compile_batch(const std::vector<std::vector<const Block*>>& regions, const Abi& abi, bool listing,
                    const std::vector<uint32_t>* exit_cells = nullptr);

// Region: blocks[0] is the hot entry; the function's param 1 selects the entry block.
Compiled compile_region(const std::vector<const Block*>& blocks, const Abi& abi, bool listing, uint32_t exit_cell = 0);

// The chain table's slot of a guest address (the generated code computes the same).
constexpr uint64_t kChainHash = 0x9e3779b97f4a7c15ull;
inline uint32_t chain_slot(uint64_t addr, uint32_t bits) { return (uint32_t)((addr * kChainHash) >> (64 - bits)); }
struct ChainSlot {
  uint64_t addr;    // the block's guest address (0 and block 0: empty)
  uint32_t block;   // its Block (bc.running while it runs)
  uint32_t target;  // its region's slot in the hub's table << 8 | the block's entry index
};
static_assert(sizeof(ChainSlot) == 16, "the generated code reads 16-byte slots");

// Function types of the module (type 0: the region, 1: a handler, 2/3: the helpers, 4: the hub, in chained modules).
enum : uint32_t { TY_REGION = 0, TY_HANDLER = 1, TY_READ = 2, TY_WRITE = 3, TY_HUB = 4 };
// The import key of the chain hub (Batch::imports holds engine table indices, and this
// one for the hub, which jit_host.cpp supplies: a function of its own module).
constexpr uint32_t kHubImport = 0xffffffffu;

}  // namespace gb::jit
