// tools/cli/node_code_cache.cc — the node CLI's engine code cache: V8's machine code for
// the engine's own module (glassbox.wasm), kept on disk from one run of glassbox.js to the
// next, as Chromium keeps it for a page's wasm. A node addon (build-wasm/glassbox_code_cache.node,
// loaded by tools/cli/node_code_cache.js, which owns the file and its policy).
//
// Why: V8 compiles the engine lazily with Liftoff, its baseline compiler, and recompiles a
// function with TurboFan only once it has run long enough (node_flags.js sets that budget).
// A run of glassbox.js is one process, so every run starts with the interpreter, the
// decoder and the JIT's compiler in baseline code and pays TurboFan again for the same
// ~50 functions: gb::run alone is 146 ms of TurboFan CPU (docs/jit.md, "Host page faults").
// The cache hands the next run the TurboFan code the last ones made; a function that tiers
// up in this run joins it at exit. Figures: docs/jit.md, "The engine's code, cached".
//
// What V8 offers an embedder, and what this addon uses of it (v8-wasm.h):
//   * WasmStreaming::SetCompiledModuleBytes: bytes a previous CompiledWasmModule::Serialize
//     made, offered before the wire bytes of a streaming compile. V8 checks their header
//     (its version, the flags' hash, the CPU's features) and says whether it will try them;
//     if their body does not deserialize, it compiles the wire bytes as if none were given.
//   * the streaming compile is only reachable through the isolate's streaming callback,
//     which V8 calls from WebAssembly.compileStreaming(arg). install() replaces node's (which
//     wants a fetch Response; nothing in glassbox.js uses it) with on_streaming below, which
//     takes arg = [wire bytes, cache bytes or null] and writes back arg[2] = V8's answer.
//   * CompiledWasmModule::Serialize: the module's compiled functions, TurboFan's only
//     (a function still in Liftoff code or not compiled is written as "compile lazily").
// hash() is the cache file's key and checksum (node_code_cache.js): a 64-bit hash of our
// own, because require('crypto') alone costs a node start ~10 ms.
//
// This is a classic addon, not N-API (N-API has no wasm): built against the pinned node's
// v8 headers (CMakeLists.txt) it loads only in that node's ABI (NODE_MODULE_VERSION), and
// any other node refuses it at require(), after which glassbox.js runs without a cache.
#include <node.h>
#include <v8-wasm.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

namespace {

using v8::Array;
using v8::ArrayBuffer;
using v8::ArrayBufferView;
using v8::BackingStore;
using v8::Boolean;
using v8::CompiledWasmModule;
using v8::Context;
using v8::Exception;
using v8::FunctionCallbackInfo;
using v8::FunctionTemplate;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::OwnedBuffer;
using v8::String;
using v8::Value;
using v8::WasmModuleObject;
using v8::WasmStreaming;

std::atomic<bool> g_new_code{false};  // (set by V8's threads: on_streaming)

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

bool view_bytes(Local<Value> v, Bytes* out) {
  if (!v->IsArrayBufferView()) return false;
  Local<ArrayBufferView> view = v.As<ArrayBufferView>();
  out->data = static_cast<const uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
  out->size = view->ByteLength();
  return out->data != nullptr || out->size == 0;
}

// Four multiply-xorshift lanes over 8-byte words (~4 GB/s here), folded with the length.
// Not cryptographic: it tells one build's module from another's and a whole cache file
// from a damaged one.
uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0x7fb5d329728ea185ull;
  h ^= h >> 27;
  h *= 0x81dadef4bc2dd44dull;
  return h ^ (h >> 33);
}

uint64_t hash_bytes(const uint8_t* p, size_t n) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t lane[4] = {k, k * 3, k * 5, k * 7};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int j = 0; j < 4; j++) {
      uint64_t w;
      memcpy(&w, p + i + 8 * j, 8);
      lane[j] = (lane[j] ^ w) * k;
      lane[j] ^= lane[j] >> 29;
    }
  }
  uint64_t h = n;
  for (int j = 0; j < 4; j++) h = mix(h ^ lane[j]) + k;
  for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return mix(h);
}

Local<String> str(Isolate* iso, const char* s) {
  return String::NewFromUtf8(iso, s).ToLocalChecked();
}

// V8's streaming callback: arg = [wire, cache|null]; arg[2] = whether V8 took the cache's
// header (then it deserializes the body, and compiles the wire bytes if that fails).
void on_streaming(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  std::shared_ptr<WasmStreaming> streaming = WasmStreaming::Unpack(iso, info.Data());
  Local<Context> ctx = iso->GetCurrentContext();
  Bytes wire, cache;
  Local<Value> w, c;
  if (info.Length() < 1 || !info[0]->IsArray() || !info[0].As<Array>()->Get(ctx, 0).ToLocal(&w) ||
      !info[0].As<Array>()->Get(ctx, 1).ToLocal(&c) || !view_bytes(w, &wire)) {
    streaming->Abort(Exception::TypeError(str(iso, "glassbox code cache: compileStreaming takes [wire bytes, cache bytes or null]")));
    return;
  }
  // The cache's buffer must stay valid until Finish returns: Finish is called below, while
  // the caller's typed array holds it.
  bool taken = view_bytes(c, &cache) && cache.size > 0 && streaming->SetCompiledModuleBytes(cache.data, cache.size);
  // V8 calls this (on the thread that finished the code) each time --wasm-caching-threshold
  // bytes of new TurboFan code exist (node_code_cache.js sets --wasm-caching-timeout-ms=0,
  // so V8 does not wait for a quiet time first): the cache lacks them.
  g_new_code.store(false);
  streaming->SetMoreFunctionsCanBeSerializedCallback([](CompiledWasmModule) { g_new_code.store(true); });
  if (info[0].As<Array>()->Set(ctx, 2, Boolean::New(iso, taken)).IsNothing()) taken = false;  // (read back by the caller)
  streaming->OnBytesReceived(wire.data, wire.size);
  streaming->Finish(true);
}

void install(const FunctionCallbackInfo<Value>& info) {
  info.GetIsolate()->SetWasmStreamingCallback(on_streaming);
  info.GetReturnValue().Set(true);
}

// serialize(module): an ArrayBuffer of V8's serialized code, or undefined.
void serialize(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsWasmModuleObject()) return;
  CompiledWasmModule compiled = info[0].As<WasmModuleObject>()->GetCompiledModule();
  OwnedBuffer out = compiled.Serialize();
  if (!out.buffer || out.size == 0) return;
  std::unique_ptr<BackingStore> store = ArrayBuffer::NewBackingStore(iso, out.size);
  memcpy(store->Data(), out.buffer.get(), out.size);
  info.GetReturnValue().Set(ArrayBuffer::New(iso, std::move(store)));
}

// new_code(): whether V8 compiled new TurboFan code since the module was compiled (see
// on_streaming): a run that made none has nothing to add to the cache, and its exit
// skips serializing the module (4-9 ms with a cache of 1.2 MB).
void new_code(const FunctionCallbackInfo<Value>& info) { info.GetReturnValue().Set(g_new_code.load()); }

// read_file(path): the file's bytes in an ArrayBuffer, or undefined (the caller then reads
// it with fs, which says why). For the engine's module (1.3 MB, node_load.js) and the
// cache file. fs.readFileSync fills a fresh buffer whose pages fault in one by one as the
// kernel copies into them, and a first touch of a page costs 10-20 us on the VMs this
// runs on (docs/jit.md, "Host page faults"): 4-4.5 ms for the module. Here the memory is
// an anonymous mapping populated in one call (MAP_POPULATE, ~1 us a page) before pread
// fills it; the ArrayBuffer owns it (munmap when collected). A file that shrinks while it
// is read gives what was read; one that grows, its size when opened.
void read_file(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsString()) return;
  String::Utf8Value path(iso, info[0]);
  if (!*path) return;
  int fd = open(*path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  size_t size = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) size = (size_t)st.st_size;
  void* mem = size ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)
                   : MAP_FAILED;
  if (mem == MAP_FAILED) {
    close(fd);
    return;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t k = pread(fd, static_cast<uint8_t*>(mem) + got, size - got, (off_t)got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  if (got == 0) {
    munmap(mem, size);
    return;
  }
  std::unique_ptr<BackingStore> store = ArrayBuffer::NewBackingStore(
      mem, got, [](void* data, size_t, void* mapped) { munmap(data, reinterpret_cast<size_t>(mapped)); },
      reinterpret_cast<void*>(size));
  info.GetReturnValue().Set(ArrayBuffer::New(iso, std::move(store)));
}

// hash(bytes): 16 hex digits.
void hash(const FunctionCallbackInfo<Value>& info) {
  Isolate* iso = info.GetIsolate();
  Bytes b;
  if (info.Length() < 1 || !view_bytes(info[0], &b)) return;
  uint64_t h = hash_bytes(b.data, b.size);
  char hex[17];
  for (int i = 15; i >= 0; i--, h >>= 4) hex[i] = "0123456789abcdef"[h & 15];
  hex[16] = 0;
  info.GetReturnValue().Set(str(iso, hex));
}

void export_fn(Local<Context> ctx, Local<Object> exports, const char* name, v8::FunctionCallback fn) {
  Isolate* iso = ctx->GetIsolate();
  exports->Set(ctx, str(iso, name), FunctionTemplate::New(iso, fn)->GetFunction(ctx).ToLocalChecked()).Check();
}

}  // namespace

NODE_MODULE_INIT() {
  (void)module;
  export_fn(context, exports, "install", install);
  export_fn(context, exports, "serialize", serialize);
  export_fn(context, exports, "hash", hash);
  export_fn(context, exports, "new_code", new_code);
  export_fn(context, exports, "read_file", read_file);
}
