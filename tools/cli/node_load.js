// tools/cli/node_load.js — prepended to every node build of the engine (glassbox.js,
// unit_tests.js, jit_replay.js; --pre-js): the module's .wasm is read from beside the
// script with fs, before the runtime decides how to load it.
//
// Debian's Emscripten (3.1.6) loads the .wasm with fetch() whenever `fetch` is a function,
// even in node, and passes it a file path, which undici refuses ("Failed to parse URL").
// Node 18-22 could be told `--no-experimental-fetch`; node 24 has no such flag (fetch is
// not experimental there) and rejects the option, so no node from 24 on could start the
// engine at all. With Module.wasmBinary set, the runtime instantiates these bytes and
// never looks at fetch: the same on every node, with no flag to remember.
if (typeof process === 'object' && process.versions && process.versions.node &&
    typeof __filename === 'string' && !Module['wasmBinary']) {
  var gbWasmPath = __filename.replace(/\.c?js$/, '') + '.wasm';
  // The node CLI's cache addon, where it is built beside the script, reads the module into
  // memory populated in one call (tools/cli/node_code_cache.cc, read_file: 4 ms less of
  // every start on VMs whose page faults are slow); else, or if it cannot, fs does.
  var gbReadFile = function (p) {
    try {
      var ab = require(require('path').join(__dirname, 'glassbox_code_cache.node')).read_file(p);
      if (ab) return new Uint8Array(ab);
    } catch (e) {
      // not built, or another node's ABI
    }
    return require('fs').readFileSync(p);
  };
  try {
    Module['wasmBinary'] = gbReadFile(gbWasmPath);
  } catch (e) {
    // without it the runtime would fail later, printing its whole minified source
    process.stderr.write('glassbox: cannot read the engine module ' + gbWasmPath + ': ' +
                         (e.code || e.message) + ' (build it with tools/build wasm)\n');
    process.exit(70);
  }
}
