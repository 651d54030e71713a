// inspector/model/inspector_model.h — every panel's model behind one feed: the page hands
// it the records it copied out of the shared ring; each model applies what concerns it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "inspector/model/files_model.h"
#include "inspector/model/process_model.h"
#include "inspector/model/records.h"
#include "inspector/model/syscall_model.h"

namespace gbi {

struct InspectorModel {
  RecordStream stream;           // seq gaps = records the rings dropped
  ProcessModel processes;
  SyscallModel syscalls;
  FilesModel files;

  void apply(const TraceRecord& r) {
    if (!stream.accept(r)) return;
    processes.apply(r);
    syscalls.apply(r);
    files.apply(r, &syscalls);
  }
  // `bytes` holds n packed 256-byte records.
  void feed(const uint8_t* bytes, size_t n) {
    for (size_t i = 0; i < n; i++) apply(record_at(bytes, i));
  }
  // {"received":..,"dropped":..,"processes":[..],"syscalls":{..},"files":{..}} (panel:
  // "all", "processes", "syscalls" or "files").
  void to_json(std::string& out, const char* panel) const;
};

}  // namespace gbi
