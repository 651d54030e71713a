// vm/cpu/interp.cpp — block cache and run loop (see interp.h).
#include "vm/cpu/interp.h"

#include "vm/cpu/decode.h"
#include "vm/cpu/exec.h"
#include "vm/mem/address_space.h"

namespace gb {

Block* BlockCache::get(AddressSpace& mem, uint64_t rip) {
  Block*& slot = fast_[fast_index(rip)];
  if (slot && slot->start == rip) return slot;
  auto it = blocks_.find(rip);
  if (it != blocks_.end()) {
    slot = it->second.get();
    return slot;
  }
  auto b = std::make_unique<Block>();
  b->start = rip;
  uint64_t pc = rip;
  for (int n = 0; n < kMaxBlock; n++) {
    Insn in;
    DecodeError err;
    decode(mem, pc, in, n == 0 ? &err : &err);  // throws only if pc's first byte faults
    if (in.len == 0) {
      // Runs into an unfetchable page: end the block before it, or fault now if first.
      if (n == 0) throw GuestFault{err.fault_addr, false, err.oom, false, err.oom};
      break;
    }
    b->insns.push_back(in);
    pc += in.len;
    if (in.fn == &op_ud) break;
    const uint32_t form = in.row != 0xffff ? op_table()[in.row].form : 0;
    if (form & (F_BRANCH | F_STOP)) break;
  }
  b->end = pc;
  if (counters) counters->blocks_decoded++;
  Block* raw = b.get();
  for (uint64_t page = page_down(rip); page < pc; page += PAGE) by_page_[page].push_back(rip);
  blocks_[rip] = std::move(b);
  slot = raw;
  return raw;
}

void BlockCache::invalidate_page(uint64_t page) {
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return;
  for (uint64_t start : it->second) {
    auto b = blocks_.find(start);
    if (b == blocks_.end()) continue;
    Block*& slot = fast_[fast_index(start)];
    if (slot == b->second.get()) slot = nullptr;
    graveyard_.push_back(std::move(b->second));
    blocks_.erase(b);
    if (counters) counters->block_invalidations++;
  }
  by_page_.erase(it);
}

void BlockCache::clear() {
  for (auto& [k, b] : blocks_) graveyard_.push_back(std::move(b));
  blocks_.clear();
  by_page_.clear();
  for (auto& s : fast_) s = nullptr;
}

CpuException run(Cpu& cpu, BlockCache& bc, uint64_t budget) {
  CpuException ex;
  const uint64_t limit = cpu.icount + budget;
  cpu.stop = false;
  uint64_t pc = cpu.rip;
  try {
    while (cpu.icount < limit && !cpu.stop) {
      pc = cpu.rip;
      Block* b = bc.get(*cpu.mem, pc);
      b->execs++;
      const Insn* in = b->insns.data();
      const Insn* end = in + b->insns.size();
      for (; in != end; ++in) {
        cpu.rip = pc + in->len;
        in->fn(cpu, *in);
        cpu.icount++;
        if (__builtin_expect(cpu.stop, 0)) { ++in; break; }
        pc = cpu.rip;
      }
      bc.collect_garbage();
    }
    bc.collect_garbage();
    return ex;
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
  cpu.rip = pc;
  bc.collect_garbage();
  return ex;
}

}  // namespace gb
