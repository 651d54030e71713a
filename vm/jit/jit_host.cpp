// vm/jit/jit_host.cpp — instantiation of compiled modules (see jit_host.h). In wasm:
// new WebAssembly.Module over the bytes in the heap, an Instance importing the engine's
// memory and, as functions, the table entries it calls (handlers, helpers), its exports
// "f", "f1"... (one per region of the batch) put into free slots of the engine's table (grown 256 slots at a time)
// and of the chain hub's (jit.h, "Chained regions"; the hub module is made by
// host_tail_calls(), where the host has wasm tail calls). Natively there is nothing to run
// wasm: refused.
#include "vm/jit/jit_host.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// clang-format off
EM_JS(uint32_t, gb_jit_instantiate, (const uint8_t* p, uint32_t n, const uint32_t* imp, uint32_t nimp, uint32_t* out, uint32_t nfn, uint32_t* rts), {
  try {
    var bytes = HEAPU8.subarray(p, p + n);
    // Under --wasm-lazy-validation (set by the node CLI, tools/cli/node_flags.js, which
    // also sets gbLazyValidation) a bad function would fail at its first call, inside
    // the engine: validated whole here instead. Elsewhere new WebAssembly.Module
    // validates the whole module itself.
    if (typeof gbLazyValidation !== 'undefined' && gbLazyValidation && !WebAssembly.validate(bytes))
      throw new Error('module of ' + n + ' bytes does not validate');
    var mod = new WebAssembly.Module(bytes);
    var env = {m: wasmMemory};
    for (var i = 0; i < nimp; i++) {
      var ti = HEAPU32[(imp >> 2) + i];
      env[i] = ti === 0xffffffff ? Module.gbHub : wasmTable.get(ti);
    }
    var inst = new WebAssembly.Instance(mod, {env: env});
    for (var k = 0; k < nfn; k++) {
      // grown by many slots at once: each grow costs a table copy (the first 256: host_reserve)
      gb_jit_reserve(256);
      var idx = Module.gbJitFree.pop();
      var fn = inst.exports[k ? 'f' + k : 'f'];
      wasmTable.set(idx, fn);
      HEAPU32[(out >> 2) + k] = idx;
      var rt = 0xffffffff;
      if (Module.gbHub) {
        if (!Module.gbRtFree.length) {  // (only the hub uses its table: growing is cheap)
          var at2 = Module.gbHubT.length;
          Module.gbHubT.grow(1024);
          for (var j2 = 1023; j2 >= 0; j2--) Module.gbRtFree.push(at2 + j2);
        }
        rt = Module.gbRtFree.pop();
        Module.gbHubT.set(rt, fn);
      }
      HEAPU32[(rts >> 2) + k] = rt;
    }
    return 1;
  } catch (e) {
    if (!Module.gbJitWarned) { Module.gbJitWarned = true; err('glassbox: jit: ' + e); }
    return 0;
  }
});
// Engine-table slots for compiled regions: n more when none is free. Made before the guest
// runs (jit_host.h, host_reserve) and whenever gb_jit_instantiate runs out. The first grow,
// made at the first batch, cost 2.6-4 ms in node 24, at startup 0.4-0.5 ms (docs/jit.md,
// "The first batch's table slots and threshold").
EM_JS(void, gb_jit_reserve, (uint32_t n), {
  var free = Module.gbJitFree || (Module.gbJitFree = []);
  if (free.length) return;
  var at = wasmTable.length;
  wasmTable.grow(n);
  for (var j = n - 1; j >= 0; j--) free.push(at + j);
});
// The chain hub (once; jit.h "Chained regions"): 1 when the host runs wasm tail calls and
// the hub is made, 0 when it has no tail calls (then nothing chains).
EM_JS(int, gb_jit_tail_calls, (), {
  // The chain hub: a module of its own holding a table of the compiled regions (again)
  // and one function, hub(cpu, entry, slot) = return_call_indirect table[slot](cpu,
  // entry). Region modules import the function, not the table: V8 (node 20) keeps a
  // dispatch copy of a table in every instance that imports it and never drops dead
  // ones from the list a table.set walks (0.4-1.9 ms a set after 10-30 K instances);
  // a table only its own instance uses costs O(1) a set, and may grow.
  var hubBytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0,
    1, 14, 2, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f,  // types: region, hub
    3, 2, 1, 1,                                                                  // one function, type hub
    4, 5, 1, 0x70, 0, 0x80, 0x08,                                               // table funcref {min 1024}
    7, 11, 2, 3, 104, 117, 98, 0, 0, 1, 116, 1, 0,                               // exports "hub", "t"
    10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0x13, 0, 0, 0x0b]);             // local.get 0 1 2; return_call_indirect
  Module.gbHub = null;  // (no tail calls in this host: nothing chains)
  Module.gbRtFree = [];
  if (WebAssembly.validate(hubBytes)) {
    var hub = new WebAssembly.Instance(new WebAssembly.Module(hubBytes), {});
    Module.gbHub = hub.exports.hub;
    Module.gbHubT = hub.exports.t;
    for (var r = 1023; r >= 0; r--) Module.gbRtFree.push(r);
  }
  return Module.gbHub ? 1 : 0;
});
EM_JS(int, gb_jit_debug, (), {
  return (typeof process !== 'undefined' && process.env && process.env.GB_JIT_DEBUG) ? 1 : 0;
});
EM_JS(void, gb_jit_release, (uint32_t idx, uint32_t rt), {
  idx >>>= 0; rt >>>= 0;  // (EM_JS passes them as signed i32)
  if (idx !== 0xffffffff) {
    wasmTable.set(idx, null);
    (Module.gbJitFree || (Module.gbJitFree = [])).push(idx);
  }
  if (rt !== 0xffffffff && Module.gbHubT) {
    Module.gbHubT.set(rt, null);
    Module.gbRtFree.push(rt);
  }
});
// clang-format on

namespace gb::jit {
bool host_instantiate(const uint8_t* p, uint32_t n, const uint32_t* imports, uint32_t nimports, uint32_t* fns,
                      uint32_t nfns, uint32_t* rts) {
  return gb_jit_instantiate(p, n, imports, nimports, fns, nfns, rts) != 0;
}
void host_release(uint32_t index, uint32_t rt) { gb_jit_release(index, rt); }
void host_reserve() { gb_jit_reserve(256); }
bool host_debug() {
  static const int d = gb_jit_debug();
  return d != 0;
}
bool host_tail_calls() {
  static const int t = gb_jit_tail_calls();
  return t != 0;
}
}  // namespace gb::jit

#else

namespace gb::jit {
bool host_instantiate(const uint8_t*, uint32_t, const uint32_t*, uint32_t, uint32_t*, uint32_t, uint32_t*) { return false; }
void host_release(uint32_t, uint32_t) {}
void host_reserve() {}
bool host_debug() { return false; }
bool host_tail_calls() { return false; }
}  // namespace gb::jit

#endif
