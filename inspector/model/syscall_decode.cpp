// inspector/model/syscall_decode.cpp — syscall records to text (see syscall_decode.h).
//
// [SECTION] names  [SECTION] the engine's argument kinds (SysShapes records)
// [SECTION] formatting
#include "inspector/model/syscall_decode.h"

#include <cinttypes>
#include <cstdio>
#include <algorithm>
#include <cstring>

#include "inspector/model/text.h"
#include "vm/base/abi.h"
#include "vm/base/lxerrno.h"

namespace gbi {

//-----------------------------------------------------------------------------
// [SECTION] names
//-----------------------------------------------------------------------------
const char* syscall_name(unsigned nr) {
  switch (nr) {
#define X(n, name) case n: return #name;
#include "vm/linux/syscall_names.inc"
#undef X
    default: return nullptr;
  }
}

int syscall_number(const char* name) {
#define X(n, nm) if (strcmp(name, #nm) == 0) return n;
#include "vm/linux/syscall_names.inc"
#undef X
  return -1;
}

//-----------------------------------------------------------------------------
// [SECTION] the engine's argument kinds (SysShapes records)
//-----------------------------------------------------------------------------
void SyscallShapes::apply(const TraceRecord& r) {
  if (r.kind != RecKind::SysShapes) return;
  constexpr size_t kEntry = 16;
  const size_t n = std::min<size_t>((size_t)r.a[0], r.data_len / kEntry);
  for (size_t i = 0; i < n; i++) {
    const uint8_t* e = r.data + i * kEntry;
    const unsigned nr = e[0] | (unsigned)e[1] << 8;
    if (nr >= kMax) continue;
    Shape& s = shape[nr];
    if (s.nargs == 0xff) known++;
    s.nargs = e[2] <= 6 ? e[2] : 6;
    s.ret = e[3];
    for (int k = 0; k < 6; k++) s.args[k] = gb::ArgSpec{e[4 + k], e[10 + k]};
  }
}

//-----------------------------------------------------------------------------
// [SECTION] formatting
//-----------------------------------------------------------------------------
// One argument from the record alone: numbers, flags and names as --strace prints them;
// the string or buffer the engine copied (data_arg); other pointers as addresses.
static void one_arg(std::string& out, const TraceRecord& r, int i, const gb::ArgSpec& a) {
  const uint64_t v = r.a[i];
  if (gb::format_scalar_arg(out, a.kind, v)) return;
  if (r.data_arg == i) {
    gb::quote_bytes(out, r.data, r.data_len, (r.flags & gb::REC_TRUNCATED) != 0);
    return;
  }
  gb::format_ptr(out, v);
}

void format_args(std::string& out, const TraceRecord& r, const SyscallShapes& sh) {
  const SyscallShapes::Shape* s = sh.find(r.nr);
  if (!s) {  // no shape: three arguments in hex
    for (int i = 0; i < 3; i++) {
      if (i) out += ", ";
      gb::format_hex(out, r.a[i]);
    }
    return;
  }
  for (int i = 0; i < s->nargs; i++) {
    if (!gb::arg_shown(s->args, r.a, i)) break;
    if (i) out += ", ";
    one_arg(out, r, i, s->args[i]);
  }
}

void format_result(std::string& out, unsigned nr, int64_t ret, const SyscallShapes& sh) {
  const SyscallShapes::Shape* s = sh.find(nr);
  gb::format_ret(out, ret, s ? s->ret : (uint8_t)gb::R_INT);
}

void signal_text(std::string& out, unsigned sig) {
  if (const char* n = gb::signal_name((int)sig)) {
    out += n;
    return;
  }
  char b[16];
  snprintf(b, sizeof b, "SIG%u", sig);
  out += b;
}

// si_code's name as strace prints it (the common ones; others as a number).
static const char* si_code_name(unsigned sig, int64_t code) {
  switch (code) {
    case 0: return "SI_USER";
    case 0x80: return "SI_KERNEL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    case -6: return "SI_TKILL";
    default: break;
  }
  if (sig == gb::LSIGSEGV) return code == 1 ? "SEGV_MAPERR" : code == 2 ? "SEGV_ACCERR" : nullptr;
  if (sig == gb::LSIGBUS) return code == 1 ? "BUS_ADRALN" : code == 2 ? "BUS_ADRERR" : nullptr;
  if (sig == gb::LSIGILL) return code == 1 ? "ILL_ILLOPC" : code == 2 ? "ILL_ILLOPN" : nullptr;
  if (sig == gb::LSIGFPE) return code == 1 ? "FPE_INTDIV" : code == 2 ? "FPE_INTOVF" : nullptr;
  if (sig == gb::LSIGTRAP) return code == 1 ? "TRAP_BRKPT" : code == 2 ? "TRAP_TRACE" : nullptr;
  if (sig == gb::LSIGCHLD) {
    static const char* const cld[] = {"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
    return code >= 1 && code <= 6 ? cld[code - 1] : nullptr;
  }
  return nullptr;
}

void format_signal(std::string& out, const TraceRecord& r) {
  char b[96];
  out += "--- ";
  signal_text(out, r.nr);
  out += " {si_signo=";
  signal_text(out, r.nr);
  const int64_t code = (int64_t)r.a[0];
  out += ", si_code=";
  if (const char* c = si_code_name(r.nr, code)) out += c;
  else { snprintf(b, sizeof b, "%" PRId64, code); out += b; }
  if (gb::signal_is_fault(r.nr) && code > 0) {
    out += ", si_addr=";
    gb::format_hex(out, r.a[1]);
  } else if (r.nr == gb::LSIGCHLD) {
    snprintf(b, sizeof b, ", si_pid=%d, si_status=%d", (int)(int64_t)r.a[1], (int)(int64_t)r.a[2]);
    out += b;
  } else if (code <= 0) {
    snprintf(b, sizeof b, ", si_pid=%d, si_uid=%u", (int)(int64_t)r.a[1], (unsigned)r.a[2]);
    out += b;
  }
  out += "} ---";
}

void format_signal_action(std::string& out, const TraceRecord& r) {
  switch (r.ret) {
    case gb::SigHandled:
      out += "handler ";
      gb::format_hex(out, r.a[3]);
      break;
    case gb::SigStopped: out += "stopped"; break;
    case gb::SigKilled: out += "killed"; break;
    default: out += '?'; break;
  }
}

void format_call(std::string& out, const TraceRecord& r, const SyscallShapes& sh) {
  if (r.kind == RecKind::Signal) {
    format_signal(out, r);
    out += " (";
    format_signal_action(out, r);
    out += ')';
    return;
  }
  const char* n = syscall_name(r.nr);
  if (n) out += n;
  else {
    char b[24];
    snprintf(b, sizeof b, "syscall_%u", r.nr);
    out += b;
  }
  out += '(';
  format_args(out, r, sh);
  out += ')';
  if (r.kind == RecKind::SysExit) {
    out += " = ";
    format_result(out, r.nr, r.ret, sh);
  }
}

}  // namespace gbi
