// vm/jit/helpers.cpp — the memory slow paths compiled code calls on a TLB miss, and the
// carry-flag query of inc/dec (jit_host.h).
#include "vm/cpu/cpu.h"
#include "vm/jit/jit_host.h"
#include "vm/mem/address_space.h"

namespace gb::jit {

uint64_t helper_read1(Cpu* c, uint64_t a) { return c->mem->read<uint8_t>(a); }
uint64_t helper_read2(Cpu* c, uint64_t a) { return c->mem->read<uint16_t>(a); }
uint64_t helper_read4(Cpu* c, uint64_t a) { return c->mem->read<uint32_t>(a); }
uint64_t helper_read8(Cpu* c, uint64_t a) { return c->mem->read<uint64_t>(a); }
void helper_write1(Cpu* c, uint64_t a, uint64_t v) { c->mem->write<uint8_t>(a, (uint8_t)v); }
void helper_write2(Cpu* c, uint64_t a, uint64_t v) { c->mem->write<uint16_t>(a, (uint16_t)v); }
void helper_write4(Cpu* c, uint64_t a, uint64_t v) { c->mem->write<uint32_t>(a, (uint32_t)v); }
void helper_write8(Cpu* c, uint64_t a, uint64_t v) { c->mem->write<uint64_t>(a, v); }
uint64_t helper_cf(Cpu* c, uint64_t) { return c->cf() ? 1 : 0; }

}  // namespace gb::jit
