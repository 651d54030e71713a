// inspector/model/inspector_model.cpp — see inspector_model.h.
#include "inspector/model/inspector_model.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace gbi {

void InspectorModel::to_json(std::string& out, const char* panel) const {
  char buf[96];
  snprintf(buf, sizeof buf, "{\"received\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"last_seq\":%" PRIu64, stream.received, stream.dropped, stream.last_seq);
  out += buf;
  const bool all = strcmp(panel, "all") == 0;
  if (all || strcmp(panel, "processes") == 0) {
    out += ",\"processes\":";
    processes.to_json(out);
  }
  if (all || strcmp(panel, "syscalls") == 0) {
    out += ",\"syscalls\":";
    syscalls.to_json(out, 5000);
  }
  if (all || strcmp(panel, "files") == 0) {
    out += ",\"files\":";
    files.to_json(out, 5000);
  }
  out += '}';
}

}  // namespace gbi
