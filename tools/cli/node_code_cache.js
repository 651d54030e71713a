// tools/cli/node_code_cache.js — prepended to the node CLI (glassbox.js, --pre-js, after
// node_load.js): the engine code cache. V8's TurboFan code for the engine's own module is
// kept on disk and handed to the next run of glassbox.js, which then starts with the
// interpreter, the decoder and the JIT's compiler in optimised code instead of V8's
// baseline code (the addon, tools/cli/node_code_cache.cc, says why and how; figures in
// docs/jit.md, "The engine's code, cached"). Chromium does the same for a page's wasm.
//
// The file: ${GLASSBOX_CACHE:-~/.cache/glassbox}/engine-code (the project's cache, beside the
// image's stages and the Debian sources); one file per engine module (by a hash of its
// bytes), V8 version and CPU architecture: engine-<hash>-<v8>-<arch>.v8code (with -o<hash> when
// node was given options of its own, below). It holds the magic
// GBCODE01, the hash of the rest (16 hex digits), then V8's serialized module. A file that
// fails that check is not offered to V8 (which trusts what it deserializes) and is written
// again at exit. V8 itself refuses bytes of another V8, other flags or another CPU's
// features; the module is then compiled as without a cache.
//
// At exit the module is serialized again (0.5-9 ms) and written, by a rename, when there
// was no usable file or when it grew (functions TurboFan compiled in this run). A run that
// loaded the file serializes only when V8 said it made new TurboFan code (the addon's
// new_code(): V8's caching callback, every --wasm-caching-threshold bytes of new code, with
// --wasm-caching-timeout-ms=0 set here), so once the cache holds what a workload tiers up,
// its runs exit without serializing. V8 serializes nothing until some function has
// TurboFan code, so a short first run
// (/bin/true) leaves no file; a file V8 refused or that failed the check is then removed.
// A write that fails (a read-only home, a full disk) costs nothing but the cache. Of other
// builds' files, the three newest are kept. GLASSBOX_CODE_CACHE=0 turns it off; a guest
// root that holds the cache directory does too (below). gbCodeCache is what --stats
// reports (tools/cli/main.cpp, cli_code_cache).
var gbCodeCache = { state: 'off', bytes: 0 };
// gbGuestRootHolding(dir): the first `--root DIR` of `glassbox run`'s options (before `--`)
// whose physical path holds `dir`, else null. A `--root` among the guest's own arguments
// counts too, which can only turn the cache off.
function gbGuestRootHolding(dir) {
  var fs = require('fs'), path = require('path');
  var physical = function (p) {  // realpath of the deepest existing ancestor, plus the rest
    var rest = '';
    for (p = path.resolve(p); ; p = path.dirname(p)) {
      try {
        return path.join(fs.realpathSync(p), rest);
      } catch (e) {
        if (p === path.dirname(p)) return path.resolve(p, rest);
        rest = path.join(path.basename(p), rest);
      }
    }
  };
  var args = process.argv.slice(2), d = null;
  for (var i = 1; i < args.length && args[i] !== '--'; i++) {
    var root = args[i] === '--root' ? args[i + 1] : args[i].indexOf('--root=') === 0 ? args[i].slice(7) : null;
    if (!root) continue;
    d = d || physical(dir);
    var r = physical(root);
    if (d === r || d.indexOf(r.endsWith(path.sep) ? r : r + path.sep) === 0) return root;
  }
  return null;
}
if (typeof process === 'object' && process.versions && process.versions.node &&
    typeof __dirname === 'string' && Module['wasmBinary'] && !Module['instantiateWasm']) {
  (function () {
    if (process.env.GLASSBOX_CODE_CACHE === '0') {
      gbCodeCache.state = 'off (GLASSBOX_CODE_CACHE=0)';
      return;
    }
    var fs = require('fs'), path = require('path');
    var addon = null;
    try {
      addon = require(path.join(__dirname, 'glassbox_code_cache.node'));
    } catch (e) {
      // not built, or another node's ABI: compiled as without a cache
    }
    if (!addon || typeof WebAssembly.compileStreaming !== 'function' || !addon.install()) {
      gbCodeCache.state = 'not available (glassbox_code_cache.node not built for this node)';
      return;
    }
    // V8 tells the addon when new TurboFan code exists (addon.new_code()): without a quiet
    // time first, which a run of the engine (one long call into wasm) never has.
    try {
      (typeof gbV8 !== 'undefined' && gbV8 ? gbV8 : require('v8')).setFlagsFromString('--wasm-caching-timeout-ms=0');
    } catch (e) {
      // an engine without the flag: serialized at every exit, as before
    }
    var MAGIC = 'GBCODE01', HEAD = MAGIC.length + 16;
    var wire = Module['wasmBinary'];
    var dir, file;
    try {
      // (node's os module only when HOME is not set: loading it costs a start ~0.5 ms)
      dir = path.join(process.env.GLASSBOX_CACHE || path.join(process.env.HOME || require('os').homedir(), '.cache', 'glassbox'), 'engine-code');
      // A node started with options of its own (`node --cpu-prof glassbox.js`, NODE_OPTIONS)
      // may run V8 with other flags, whose cache V8 refuses in a plain run and the other way
      // round: such runs keep a file of their own (-o<hash of the options>), so a profiling
      // run no longer replaces the plain runs' cache with its smaller one.
      var opts = process.execArgv.join('\n') + (process.env.NODE_OPTIONS ? '\n' + process.env.NODE_OPTIONS : '');
      file = path.join(dir, 'engine-' + addon.hash(wire) + '-' + process.versions.v8 + '-' + process.arch +
                       (opts ? '-o' + addon.hash(Buffer.from(opts)).slice(0, 8) : '') + '.v8code');
    } catch (e) {
      // no home directory to be found: compiled as without a cache
      gbCodeCache.state = 'off (no cache directory: ' + (e.code || e.message) + ')';
      return;
    }
    // A guest root (--root DIR: a host directory the guest may write) that holds the cache
    // directory would let a guest write machine code the next run executes, so then there
    // is no cache. (HostFs never follows a host symlink, so physical paths decide.)
    var inside = gbGuestRootHolding(dir);
    if (inside) {
      gbCodeCache.state = 'off (the cache directory is inside the guest root ' + inside + ')';
      return;
    }
    var cache = null;
    gbCodeCache.state = 'none yet';
    try {
      var ab = addon.read_file(file), raw = ab ? Buffer.from(ab) : fs.readFileSync(file);
      var body = raw.subarray(HEAD);
      if (raw.length > HEAD && raw.toString('latin1', 0, MAGIC.length) === MAGIC &&
          raw.toString('latin1', MAGIC.length, HEAD) === addon.hash(body)) {
        cache = body;
        gbCodeCache.bytes = body.length;
      } else {
        gbCodeCache.state = 'damaged (not offered to V8)';
      }
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') gbCodeCache.state = 'unreadable (' + (e.code || e.message) + ')';
    }
    var module = null;
    Module['instantiateWasm'] = function (imports, receive) {
      var arg = [wire, cache];
      var plain = function () {
        return WebAssembly.instantiate(wire, imports).then(function (r) {
          module = r.module;
          receive(r.instance, r.module);
        });
      };
      WebAssembly.compileStreaming(arg).then(function (m) {
        if (cache) gbCodeCache.state = arg[2] ? 'loaded' : 'refused by V8 (made by another V8 or flags or CPU)';
        module = m;
        return WebAssembly.instantiate(m, imports).then(function (inst) { receive(inst, m); });
      }, plain).catch(function (e) {
        err('failed to asynchronously prepare wasm: ' + e);
        abort(e);
      });
      return {};
    };
    // GB_JIT_DEBUG (the node engine's debug switch, vm/jit/jit_host.cpp) also says, at exit,
    // what became of the cache: serialized and written, not grown, or not serialized.
    var trace = process.env.GB_JIT_DEBUG ? function (msg) {
      try { fs.writeSync(2, 'glassbox: code cache: ' + msg + '\n'); } catch (e) { /* stderr closed */ }
    } : function () {};
    process.on('exit', function () {
      if (!module) return;
      // A run that loaded the cache and made no new TurboFan code has nothing to add to it:
      // no serializing (4-9 ms of every exit with a cache of 1.2 MB).
      if (gbCodeCache.state === 'loaded' && !addon.new_code()) {
        trace('no new TurboFan code since ' + (gbCodeCache.bytes >> 10) + ' KiB were loaded: not serialized');
        return;
      }
      var out, t0 = Date.now();
      try {
        out = addon.serialize(module);
      } catch (e) {
        trace('serializing failed (' + e.message + ')');
        return;
      }
      var what = 'serialized ' + (out ? out.byteLength >> 10 : 0) + ' KiB in ' + (Date.now() - t0) + ' ms';
      var usable = gbCodeCache.state === 'loaded' || gbCodeCache.state === 'none yet';
      if (!out && !usable) {
        // V8 serializes nothing before it has TurboFan code: a short run. A file it refused
        // or that failed its check goes, so the next run does not read it again.
        try { fs.unlinkSync(file); } catch (e) { /* gone already */ }
        trace(what + ': nothing to keep, the unusable file removed');
        return;
      }
      if (!out) {
        trace('nothing to serialize (no TurboFan code yet)');
        return;
      }
      if (gbCodeCache.state === 'loaded' && out.byteLength <= gbCodeCache.bytes) {
        trace(what + ': not grown, the file kept');
        return;
      }
      var body = new Uint8Array(out);
      var tmp = file + '.' + process.pid + '.tmp';
      try {
        fs.mkdirSync(dir, { recursive: true });
        var fd = fs.openSync(tmp, 'w', 384);
        try {
          fs.writeSync(fd, Buffer.from(MAGIC + addon.hash(body), 'latin1'));
          fs.writeSync(fd, body);
        } finally {
          fs.closeSync(fd);
        }
        fs.renameSync(tmp, file);
      } catch (e) {
        try { fs.unlinkSync(tmp); } catch (e2) { /* never made */ }
        trace(what + ': not written (' + (e.code || e.message) + ')');
        return;
      }
      trace(what + ': written');
      try {
        var others = fs.readdirSync(dir).filter(function (n) {
          return /^engine-.*\.v8code$/.test(n) && path.join(dir, n) !== file;
        }).map(function (n) {
          return { n: n, t: fs.statSync(path.join(dir, n)).mtimeMs };
        }).sort(function (a, b) { return b.t - a.t; });
        for (var i = 3; i < others.length; i++) fs.unlinkSync(path.join(dir, others[i].n));
      } catch (e) {
        // another process pruned first
      }
    });
  })();
}
