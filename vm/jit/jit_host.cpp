// vm/jit/jit_host.cpp — instantiation of compiled modules (see jit_host.h). In wasm:
// new WebAssembly.Module over the bytes in the heap, an Instance importing the engine's
// memory and, as functions, the table entries it calls (handlers, helpers), its export
// "f" put into a free slot of the engine's table (grown 256 slots at a time). Natively there is nothing to run wasm: refused.
#include "vm/jit/jit_host.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// clang-format off
EM_JS(uint32_t, gb_jit_instantiate, (const uint8_t* p, uint32_t n, const uint32_t* imp, uint32_t nimp), {
  try {
    var mod = new WebAssembly.Module(HEAPU8.subarray(p, p + n));
    var env = {m: wasmMemory};
    for (var i = 0; i < nimp; i++) env[i] = wasmTable.get(HEAPU32[(imp >> 2) + i]);
    var inst = new WebAssembly.Instance(mod, {env: env});
    var free = Module.gbJitFree || (Module.gbJitFree = []);
    if (!free.length) {  // grow by many slots at once: each grow costs a table copy
      var at = wasmTable.length;
      wasmTable.grow(256);
      for (var j = 255; j >= 0; j--) free.push(at + j);
    }
    var idx = free.pop();
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
uint32_t host_instantiate(const uint8_t* p, uint32_t n, const uint32_t* imports, uint32_t nimports) {
  return gb_jit_instantiate(p, n, imports, nimports);
}
void host_release(uint32_t index) { gb_jit_release(index); }
}  // namespace gb::jit

#else

namespace gb::jit {
uint32_t host_instantiate(const uint8_t*, uint32_t, const uint32_t*, uint32_t) { return 0; }
void host_release(uint32_t) {}
}  // namespace gb::jit

#endif
