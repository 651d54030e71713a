// inspector/model/syscall_decode.h — turns a SysExit/SysEnter record into strace-like text:
// the call's name, its decoded arguments (the common calls; others as hex) and its result
// with Linux's errno name. All formatting of syscalls happens here, not in the engine.
#pragma once
#include <cstdint>
#include <string>

#include "inspector/model/records.h"

namespace gbi {

// "openat" (nullptr for a number Linux does not define).
const char* syscall_name(unsigned nr);
// Number of a name, -1 if none (for filters).
int syscall_number(const char* name);
// Appends the arguments without parentheses: AT_FDCWD, "hello.c", O_RDONLY
void format_args(std::string& out, const TraceRecord& r);
// Appends the result: "3", "0x7f0000001000", "-1 ENOENT (No such file or directory)"
void format_result(std::string& out, unsigned nr, int64_t ret);
// Appends "name(args) = result" (the whole strace line of a SysExit record); for a Signal
// record, format_signal's line.
void format_call(std::string& out, const TraceRecord& r);
// A Signal record as strace prints one: "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
// si_addr=0x10} ---"; and what it did: "handler 0x401136", "stopped", "killed".
void format_signal(std::string& out, const TraceRecord& r);
void format_signal_action(std::string& out, const TraceRecord& r);
// "SIGSEGV", or "SIG34" for one without a name.
void signal_text(std::string& out, unsigned sig);
inline bool syscall_failed(int64_t ret) { return ret < 0 && ret >= -4095; }

}  // namespace gbi
