// tools/cli/node_crypto.js — prepended to the node CLI (glassbox.js, --pre-js): a
// module-local `crypto` for the whole of glassbox.js.
//
// Emscripten's runtime makes its /dev/random at start-up (FS.staticInit) by testing
// `typeof crypto`, and node 20's global `crypto` is a getter that loads WebCrypto, with
// node's key, hash and stream modules: 5-8 ms of every start of the engine. This one
// reads the host's /dev/urandom through fs, which the runtime has loaded already; where
// that fails it hands over to node's WebCrypto, loaded then. The engine's own randomness
// (the guest's AT_RANDOM, getrandom, /dev/urandom: vm/linux/entropy.cpp) comes here too.
var crypto = (function () {
  var fs = null, fd = -2;  // /dev/urandom, opened on first use (-1: unavailable)
  return {
    getRandomValues: function (a) {
      var bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      if (fd === -2) {
        try { fs = require('fs'); fd = fs.openSync('/dev/urandom', 'r'); } catch (e) { fd = -1; }
      }
      var got = 0;
      if (fd >= 0) {
        try {
          while (got < bytes.length) {
            var k = fs.readSync(fd, bytes, got, bytes.length - got, null);
            if (k <= 0) break;
            got += k;
          }
        } catch (e) { got = 0; }
      }
      if (got < bytes.length) require('crypto').webcrypto.getRandomValues(bytes);
      return a;
    }
  };
})();
