// vm/jit/jit_host.h — instantiating a compiled module (wasm builds: jit_host_wasm.cpp,
// EM_JS; the native build's stubs refuse), and the slow-path helpers compiled code calls.
#pragma once
#include <cstdint>

namespace gb {
class Cpu;
}

namespace gb::jit {

// Compiles and instantiates `n` bytes of module whose function imports env."i" are the
// engine table's entries imports[i] (kHubImport: the chain hub, compiler.h); puts the
// engine-table index of its export export_name(k) into fns[k] for k < nfns, and its
// slot in the hub's table (the table chained exits call through) into rts[k]. false:
// failed (reason on stderr once).
bool host_instantiate(const uint8_t* p, uint32_t n, const uint32_t* imports, uint32_t nimports, uint32_t* fns,
                      uint32_t nfns, uint32_t* rts);
// Frees the slots host_instantiate gave a function (index ~0: keep the engine-table
// slot; rt ~0: none in the hub's table).
void host_release(uint32_t index, uint32_t rt);

// Grows the engine's table by 256 slots for compiled regions, once, before the guest
// runs: V8 (node 24) took 2.6-4 ms for that grow at the first batch and 0.4-0.5 ms at
// startup. configure() calls it when the JIT is on.
void host_reserve();

// Makes the chain hub (once) where the host runs wasm tail calls; false: it has none, and
// nothing chains. The tier asks before its first batch.
bool host_tail_calls();

// GB_JIT_DEBUG set in node's environment: one line per batch on stderr.
bool host_debug();

// Memory slow paths (a TLB miss in compiled code): the AddressSpace accessors, which
// may demand-page, break COW, invalidate code, or throw GuestFault.
uint64_t helper_read1(Cpu* c, uint64_t a);
uint64_t helper_read2(Cpu* c, uint64_t a);
uint64_t helper_read4(Cpu* c, uint64_t a);
uint64_t helper_read8(Cpu* c, uint64_t a);
void helper_write1(Cpu* c, uint64_t a, uint64_t v);
void helper_write2(Cpu* c, uint64_t a, uint64_t v);
void helper_write4(Cpu* c, uint64_t a, uint64_t v);
void helper_write8(Cpu* c, uint64_t a, uint64_t v);
// The carry flag of the recorded state (inc/dec keep it: compiled code asks when it does
// not hold the previous flags in locals). The second argument is unused (a read
// helper's type, so modules need no other function type).
uint64_t helper_cf(Cpu* c, uint64_t unused);

}  // namespace gb::jit
