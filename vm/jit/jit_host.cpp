// vm/jit/jit_host.cpp — instantiation of compiled modules (see jit_host.h). In wasm:
// new WebAssembly.Module over the bytes in the heap, an Instance importing the engine's
// own memory and table, its export "f" put into a free slot of that table (grown by
// one when none is free). Natively there is nothing to run wasm: refused.
#include "vm/jit/jit_host.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// clang-format off
EM_JS(uint32_t, gb_jit_instantiate, (const uint8_t* p, uint32_t n), {
  try {
    var mod = new WebAssembly.Module(HEAPU8.subarray(p, p + n));
    var inst = new WebAssembly.Instance(mod, {env: {m: wasmMemory, t: wasmTable}});
    var free = Module.gbJitFree || (Module.gbJitFree = []);
    var idx;
    if (free.length) idx = free.pop();
    else { idx = wasmTable.length; wasmTable.grow(1); }
    wasmTable.set(idx, inst.exports.f);
    return idx;
  } catch (e) {
    if (!Module.gbJitWarned) { Module.gbJitWarned = true; err('glassbox: jit: ' + e); }
    return 0;
  }
});
EM_JS(void, gb_jit_release, (uint32_t idx), {
  wasmTable.set(idx, null);
  (Module.gbJitFree || (Module.gbJitFree = [])).push(idx);
});
// clang-format on

namespace gb::jit {
uint32_t host_instantiate(const uint8_t* p, uint32_t n) { return gb_jit_instantiate(p, n); }
void host_release(uint32_t index) { gb_jit_release(index); }
}  // namespace gb::jit

#else

namespace gb::jit {
uint32_t host_instantiate(const uint8_t*, uint32_t) { return 0; }
void host_release(uint32_t) {}
}  // namespace gb::jit

#endif
