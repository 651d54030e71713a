// Emscripten JS library for the engine's browser build (pass it to emcc with
// `--js-library web/engine-host.lib.js`). It implements the engine's host imports by
// forwarding to the `gbHost` object that the engine worker (ide/src/worker/machine.ts) passes in the module arguments.
// The C++ side declares them as:
//
//   extern "C" void gb_host_tty_output(const uint8_t* data, uint32_t len);
//   extern "C" void gb_host_chunk_request(uint32_t index);
//   extern "C" void gb_host_fs_changed(const char* dir);   // dir may be NULL
//
// See docs/ide.md, "The engine module".
mergeInto(LibraryManager.library, {
  gb_host_tty_output: function (data, len) {
    Module['gbHost'].ttyOutput(HEAPU8.subarray(data, data + len));
  },
  gb_host_chunk_request: function (index) {
    Module['gbHost'].chunkRequest(index >>> 0);
  },
  gb_host_fs_changed: function (dir) {
    Module['gbHost'].fsChanged(dir ? UTF8ToString(dir) : '');
  },
});
