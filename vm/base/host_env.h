// vm/base/host_env.h — the host's environment variables, natively and in node.
#pragma once

namespace gb {

// The host's environment variable `name`, or nullptr. Natively getenv(); in node
// process.env (Emscripten's getenv does not see node's environment). The node result
// lives in one of four rotating buffers (1 KiB each): copy it before a fifth call.
const char* host_getenv(const char* name);

}  // namespace gb
