// tools/cli/node_host.js — prepended to the node CLI (glassbox.js, --pre-js): the host
// process's memory, tuned through build-wasm/glassbox_host.node (tools/cli/node_host.c
// says why). glibc's malloc is tuned at once, before V8 compiles the engine's module; the
// engine's linear memory is advised for huge pages once the module is instantiated, before
// its constructors and main run. Optional: without the addon, or with
// GLASSBOX_HOST_TUNING=0, nothing changes. gbHugePages is what --stats reports:
// -1 not asked, 0 advised, else madvise's errno.
var gbHugePages = -1;
if (typeof process === 'object' && process.versions && process.versions.node &&
    typeof __dirname === 'string' && process.platform === 'linux' &&
    process.env.GLASSBOX_HOST_TUNING !== '0') {
  var gbHost = null;
  try {
    gbHost = require(require('path').join(__dirname, 'glassbox_host.node'));
  } catch (e) {
    // not built (no host C compiler or node headers): the defaults, as before
  }
  if (gbHost) {
    gbHost.tune_malloc();
    Module['preRun'] = [].concat(Module['preRun'] || [], function () {
      if (typeof wasmMemory !== 'undefined') gbHugePages = gbHost.advise_huge(wasmMemory.buffer);
    });
  }
}
