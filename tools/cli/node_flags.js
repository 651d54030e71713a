// tools/cli/node_flags.js — prepended to the node CLI (glassbox.js, --pre-js): V8 flags
// set before the engine's module is compiled (docs/jit.md, "V8 compiles the compiler").
//
// --wasm-tiering-budget: V8's dynamic tiering recompiles a wasm function with TurboFan
// once it has run ~1.8 MB worth of its code (node 20's default budget). The JIT's own C++
// and every region it generates cross that within a second, so a short run (python3 -c
// pass, gcc hello) spent more CPU in TurboFan than the JIT saved. With 11x the budget
// only the functions that stay hot are recompiled: measured on python3 -c pass, 95
// TurboFan compiles instead of 205; --jit off is unchanged, the JIT rows gain 5-10%.
// 55x (100 MB) since Dec 6 2026: against 20 MB in interleaved pairs, the JIT's cpu_bound
// 0.90x, gcc hello 0.96x, sum(range(10**6)) 0.97x, the long squares loop 0.99x, and
// python3 -c pass with the JIT on 1.02x of off instead of 1.04x (docs/jit.md, "V8's
// tiering budget"); 200 KB and 1.8 MB were 1.3x and 1.1x slower on -c pass.
// The browser keeps V8's defaults (a page cannot set flags).
//
// --wasm-lazy-validation: V8 validates each function of the engine's module when it
// first compiles it, not the whole 1.2 MB up front: 3-5 ms of every start (compile and
// instantiate 27-35 ms -> 22-28 ms, t0). The JIT validates each module it makes itself
// (WebAssembly.validate in vm/jit/jit_host.cpp, which looks at gbLazyValidation), so a
// bad one is still refused whole at instantiation instead of failing at its first call.
//
// --experimental-wasm-branch-hinting: V8 reads the JIT's branch hints (each module's
// metadata.code.branch_hint section: the TLB probe's hit, the SSE guards and the budget
// check are the likely arms) and TurboFan lays the unlikely arm out of line as a deferred
// block, so the slow paths' spills leave the fast path: cpu_bound's sort and sieve loops
// 8-11% faster (docs/jit.md, "Branch hints"). Node 20's V8 has the proposal behind this
// flag; Chromium reads the section by default.
//
// The flags go through node's internal v8 binding where it is there: the public 'v8'
// module loads node's heap utilities and with them its 20 stream modules, 4-5 ms of every
// start. That binding is deprecated (DEP0111): its warning is silenced for the one call,
// and an engine without it takes the public module.
var gbLazyValidation = false;  // (read by gb_jit_instantiate)
if (typeof process === 'object' && process.versions && process.versions.node) {
  try {
    var gbQuiet = process.noDeprecation;
    var gbV8 = null;
    try {
      process.noDeprecation = true;
      gbV8 = process.binding('v8');
    } catch (e) {
      gbV8 = null;
    } finally {
      process.noDeprecation = gbQuiet;
    }
    if (!gbV8 || typeof gbV8.setFlagsFromString !== 'function') gbV8 = require('v8');
    gbV8.setFlagsFromString('--wasm-tiering-budget=100000000');
    gbV8.setFlagsFromString('--wasm-lazy-validation');
    gbV8.setFlagsFromString('--experimental-wasm-branch-hinting');
    gbLazyValidation = true;
  } catch (e) {
    // an engine without the flag: its defaults
  }
}
