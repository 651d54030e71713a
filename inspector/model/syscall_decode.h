// inspector/model/syscall_decode.h — turns a SysExit/SysEnter record into strace-like text:
// the call's name, its decoded arguments and its result with Linux's errno name. All
// formatting of the inspector's syscalls happens here, not in the engine.
//
// What each argument is comes from the engine's own syscall table, sent once as SysShapes
// records (the attach snapshot): every call the engine implements is decoded, with the
// kinds --strace uses, and the text of numbers, flags and names comes from the same
// functions (vm/base/sysargs.h), so the panel and --strace print the same. Until the
// shapes arrive (or for a call the engine does not implement), three arguments in hex.
#pragma once
#include <cstdint>
#include <string>

#include "inspector/model/records.h"
#include "vm/base/sysargs.h"

namespace gbi {

// "openat" (nullptr for a number Linux does not define).
const char* syscall_name(unsigned nr);
// Number of a name, -1 if none (for filters).
int syscall_number(const char* name);
// The engine's argument kinds per call (SysShapes records).
struct SyscallShapes {
  struct Shape {
    uint8_t nargs = 0xff;  // 0xff: not sent (the engine does not implement the call)
    uint8_t ret = 0;       // gb::RetKind
    gb::ArgSpec args[6];
  };
  static constexpr unsigned kMax = 512;
  Shape shape[kMax];
  unsigned known = 0;  // calls with a shape

  void apply(const TraceRecord& r);  // a SysShapes record (others ignored)
  const Shape* find(unsigned nr) const { return nr < kMax && shape[nr].nargs != 0xff ? &shape[nr] : nullptr; }
};

// Appends the arguments without parentheses: AT_FDCWD, "hello.c", O_RDONLY
void format_args(std::string& out, const TraceRecord& r, const SyscallShapes& sh);
// Appends the result: "3", "0x7f0000001000", "-1 ENOENT (No such file or directory)", "?"
void format_result(std::string& out, unsigned nr, int64_t ret, const SyscallShapes& sh);
// Appends "name(args) = result" (the whole strace line of a SysExit record); for a Signal
// record, format_signal's line.
void format_call(std::string& out, const TraceRecord& r, const SyscallShapes& sh);
// A Signal record as strace prints one: "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
// si_addr=0x10} ---"; and what it did: "handler 0x401136", "stopped", "killed".
void format_signal(std::string& out, const TraceRecord& r);
void format_signal_action(std::string& out, const TraceRecord& r);
// "SIGSEGV", or "SIG34" for one without a name.
void signal_text(std::string& out, unsigned sig);
inline bool syscall_failed(int64_t ret) { return ret < 0 && ret >= -4095; }

}  // namespace gbi
