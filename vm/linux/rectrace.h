// vm/linux/rectrace.h — the kernel's producers of binary trace records (vm/trace/record.h).
// Each is called only behind `if (k.records.enabled())`: with the inspector closed the
// engine pays that one branch. No text is formatted here; raw guest bytes are copied.
#pragma once
#include <cstdint>

#include "vm/trace/record.h"

namespace gb {

class Task;
struct SyscallDef;

// kind SysEnter (ret ignored) or SysExit. `d` may be null (an unknown syscall).
void record_syscall(Task& p, RecKind kind, const SyscallDef* d, uint64_t nr, const uint64_t* a, int64_t ret);
void record_fork(Task& parent, Task& child, uint64_t flags);
void record_exec(Task& p, uint64_t entry);
void record_exit(Task& p, int64_t status);

}  // namespace gb
