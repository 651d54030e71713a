// vm/cpu/interp.h — the interpreter: decoded-block cache and the run loop.
//
// A Block is a run of decoded instructions starting at a guest address and ending at a
// branch (F_BRANCH), an instruction that must stop the block (F_STOP), an undecodable
// instruction, or kMaxBlock instructions. Blocks are cached by start address per
// address space; writes to a page holding code (caught by the TLB, see
// address_space.h) drop every block on that page.
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

class AddressSpace;

struct Block {
  uint64_t start = 0, end = 0;  // guest byte range [start, end)
  std::vector<Insn> insns;
  uint64_t execs = 0;
  bool fetch_fault = false;     // the last insn could not be fetched (fault when reached)
  uint64_t fault_addr = 0;
};

class BlockCache {
 public:
  static constexpr int kMaxBlock = 64;
  Block* get(AddressSpace& mem, uint64_t rip);  // decodes on miss; may throw GuestFault
  void invalidate_page(uint64_t page);
  void clear();
  Counters* counters = nullptr;  // the machine's (blocks decoded, invalidations); none: not counted
 private:
  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> by_page_;
  // A direct-mapped front of blocks_, indexed by a multiplicative (Fibonacci) hash of
  // the whole rip: blocks at the same offset of different pages do not evict each other.
  static constexpr int kFastBits = 12, kFast = 1 << kFastBits;
  static size_t fast_index(uint64_t rip) { return (size_t)((rip * 0x9e3779b97f4a7c15ull) >> (64 - kFastBits)); }
  Block* fast_[kFast] = {};
  std::vector<std::unique_ptr<Block>> graveyard_;  // dropped while possibly executing
 public:
  void collect_garbage() { graveyard_.clear(); }
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

}  // namespace gb
