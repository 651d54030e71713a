// vm/base/host_env.cpp — see host_env.h.
#include "vm/base/host_env.h"

#include <cstdlib>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
EM_JS(int, gb_js_getenv, (const char* name, char* buf, int cap), {
  if (typeof process !== "object" || !process.env) return 0;
  var v = process.env[UTF8ToString(name)];
  if (v === undefined) return 0;
  stringToUTF8(String(v), buf, cap);
  return 1;
});
#endif

namespace gb {

const char* host_getenv(const char* name) {
#ifdef __EMSCRIPTEN__
  static char buf[4][1024];
  static int which = 0;
  char* b = buf[which = (which + 1) & 3];
  return gb_js_getenv(name, b, int(sizeof buf[0])) ? b : nullptr;
#else
  return getenv(name);
#endif
}

}  // namespace gb
