// vm/jit/jit_host.cpp — instantiation of compiled modules (see jit_host.h). In wasm:
// new WebAssembly.Module over the bytes in the heap, an Instance importing the engine's
// memory and, as functions, the table entries it calls (handlers, helpers), its exports
// "f", "f1"... (one per region of the batch) put into free slots of the engine's table (grown 256 slots at a time). Natively there is nothing to run wasm: refused.
#include "vm/jit/jit_host.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// clang-format off
EM_JS(uint32_t, gb_jit_instantiate, (const uint8_t* p, uint32_t n, const uint32_t* imp, uint32_t nimp, uint32_t* out, uint32_t nfn), {
  try {
    var mod = new WebAssembly.Module(HEAPU8.subarray(p, p + n));
    var env = {m: wasmMemory};
    for (var i = 0; i < nimp; i++) env[i] = wasmTable.get(HEAPU32[(imp >> 2) + i]);
    var inst = new WebAssembly.Instance(mod, {env: env});
    var free = Module.gbJitFree || (Module.gbJitFree = []);
    for (var k = 0; k < nfn; k++) {
      if (!free.length) {  // grow by many slots at once: each grow costs a table copy
        var at = wasmTable.length;
        wasmTable.grow(256);
        for (var j = 255; j >= 0; j--) free.push(at + j);
      }
      var idx = free.pop();
      wasmTable.set(idx, inst.exports[k ? 'f' + k : 'f']);
      HEAPU32[(out >> 2) + k] = idx;
    }
    return 1;
  } catch (e) {
    if (!Module.gbJitWarned) { Module.gbJitWarned = true; err('glassbox: jit: ' + e); }
    return 0;
  }
});
EM_JS(int, gb_jit_debug, (), {
  return (typeof process !== 'undefined' && process.env && process.env.GB_JIT_DEBUG) ? 1 : 0;
});
EM_JS(void, gb_jit_release, (uint32_t idx), {
  wasmTable.set(idx, null);
  (Module.gbJitFree || (Module.gbJitFree = [])).push(idx);
});
// clang-format on

namespace gb::jit {
bool host_instantiate(const uint8_t* p, uint32_t n, const uint32_t* imports, uint32_t nimports, uint32_t* fns,
                      uint32_t nfns) {
  return gb_jit_instantiate(p, n, imports, nimports, fns, nfns) != 0;
}
void host_release(uint32_t index) { gb_jit_release(index); }
bool host_debug() {
  static const int d = gb_jit_debug();
  return d != 0;
}
}  // namespace gb::jit

#else

namespace gb::jit {
bool host_instantiate(const uint8_t*, uint32_t, const uint32_t*, uint32_t, uint32_t*, uint32_t) { return false; }
void host_release(uint32_t) {}
bool host_debug() { return false; }
}  // namespace gb::jit

#endif
