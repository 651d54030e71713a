// tools/cli/node_host.c — the node CLI's one native helper, a N-API addon
// (build-wasm/glassbox_host.node, loaded by tools/cli/node_host.js) that tunes how the
// host process gets its memory. The engine does not depend on it: without it (another OS,
// no C compiler, GLASSBOX_HOST_TUNING=0) glassbox.js runs the same, a little slower.
//
// Why: on the VMs this project runs on, the first touch of a 4 KiB page costs the host
// 10-20 us (docs/jit.md, "Host page faults"), and a cold run touches a lot of them:
//   * the engine's linear memory (guest pages, decoded blocks, compiled regions): gcc hello
//     grows it to ~60 MB, ~15,000 faults on node's main thread. Linux's THP setting is
//     "madvise" on Debian and on these machines, so only memory that asks gets 2 MiB
//     pages, and V8 does not ask for its wasm memories: advise_huge() asks;
//   * V8's compiles (TurboFan's zones, on its worker threads) come and go through glibc's
//     malloc, whose arenas give memory back after every compile and fault it in again at
//     the next: tune_malloc() raises the trim and mmap thresholds (the same as
//     GLIBC_TUNABLES would, which must be set before node starts; the bench runs
//     `node glassbox.js`).
// Figures: docs/jit.md, "The host's memory: huge pages and malloc's thresholds".
//
// N-API is ABI-stable across node versions; CMakeLists.txt builds this with the host's C
// compiler against the pinned node's headers.
#include <node_api.h>

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>

// A wasm32 memory is at most 4 GiB, and V8 reserves at least that (plus guard regions)
// from its base, so the advised range lies in that one reservation. V8 grows the memory
// with mprotect inside it, so the advice also covers what the memory grows into.
#define GB_WASM32_MAX ((size_t)1 << 32)

// advise_huge(buffer): MADV_HUGEPAGE from the buffer's first page over 4 GiB; returns 0
// when the kernel took the advice, else madvise's errno (EINVAL: a kernel without THP).
static napi_value advise_huge(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = NULL;
  size_t len = 0;
  int err = EINVAL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
      napi_get_arraybuffer_info(env, argv[0], &data, &len) == napi_ok && data) {
    uintptr_t base = (uintptr_t)data & ~(uintptr_t)4095;
    err = madvise((void*)base, GB_WASM32_MAX, MADV_HUGEPAGE) == 0 ? 0 : errno;
  }
  napi_value out;
  napi_create_int32(env, err, &out);
  return out;
}

// tune_malloc(): glibc keeps what it has (trim threshold 256 MiB, 16 MiB of padding on
// each growth of the main arena) and serves blocks up to 32 MiB (its maximum) from its
// arenas rather than from fresh mmaps. Costs ~7 MB of resident memory on gcc hello.
// Returns 1 when glibc took all three.
static napi_value tune_malloc(napi_env env, napi_callback_info info) {
  (void)info;
  int ok = mallopt(M_TRIM_THRESHOLD, 256 << 20) & mallopt(M_TOP_PAD, 16 << 20) & mallopt(M_MMAP_THRESHOLD, 32 << 20);
  napi_value out;
  napi_create_int32(env, ok, &out);
  return out;
}

static int export_fn(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_fn(env, exports, "advise_huge", advise_huge) || !export_fn(env, exports, "tune_malloc", tune_malloc))
    return NULL;
  return exports;
}
