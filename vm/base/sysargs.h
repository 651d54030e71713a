// vm/base/sysargs.h — what a syscall's arguments are, and their text when it needs no guest
// memory: the half of strace-style decoding that both sides of the trace share.
//
//   * The engine's syscall table (vm/linux/syscall.h) gives every call its argument kinds
//     (ArgKind) and result kind (RetKind); --strace (vm/linux/strace.cpp) prints them,
//     reading guest memory for the kinds that point at it (struct stat, iovecs, argv ...).
//   * The inspector (inspector/model/syscall_decode.cpp) gets the same kinds from the
//     engine's SysShapes records and prints them from the record alone (numbers, and the
//     one string or buffer the record carries).
// Both print a number, a flag set, a named constant or a quoted string through the
// functions here, so the two texts agree.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace gb {

enum ArgKind : uint8_t {
  A_NONE,
  A_INT,        // int (32-bit signed)
  A_LONG,       // long (64-bit signed)
  A_ULONG,      // size_t
  A_HEX,        // 0x...
  A_PTR,        // NULL or 0x...
  A_OCT,        // 0644 (mode_t)
  A_FD,         // int
  A_DIRFD,      // AT_FDCWD or int
  A_PATH,       // "string", full
  A_STR,        // "string", first 32 chars
  A_BUF_IN,     // "data"..., length in args[aux]
  A_BUF_OUT,    // printed at exit: ret bytes (or ptr on error)
  A_OPEN_FLAGS, A_AT_FLAGS, A_PROT, A_MMAP_FLAGS, A_WHENCE, A_ACCESS_MODE, A_CLOCK, A_FCNTL_CMD,
  A_IOCTL_REQ, A_ARCH_PRCTL, A_FUTEX_OP, A_SIGNAL, A_SIGHOW, A_MADVISE, A_RLIMIT_RES, A_MREMAP_FLAGS,
  A_STAT_OUT,   // struct stat * (at exit)
  A_STATX_OUT,  // struct statx *
  A_STRARRAY,   // char *const argv[]
  A_ENVP,       // char *const envp[] (count only)
  A_IOV_IN,     // const struct iovec *, count in args[aux]
  A_IOV_OUT,    // struct iovec * filled by the call
  A_TIMESPEC,   // const struct timespec *
  A_PIPEFDS,    // int[2] at exit
  A_SIGSET,     // sigset_t * (in)
  A_SIGSET_OUT, // sigset_t * (out)
  A_SIGACTION,  // const struct sigaction *
  A_OUT_PTR,    // some struct written by the call: printed as a pointer
  A_POLLFDS,    // struct pollfd *, count in args[aux]
  A_DIRENTS,    // getdents64 buffer (at exit: count)
  A_UNAME_OUT,  // struct utsname *
  A_RENAME_FLAGS,
  A_FD_FLAGS,   // O_CLOEXEC|O_NONBLOCK (pipe2, dup3, eventfd ...)
};

enum RetKind : uint8_t { R_INT, R_HEX, R_NONE /* exit: "= ?" */ };

// One argument's kind; `aux` is the index of the argument that holds its length/count
// (buffers, iovecs, pollfds), else unused.
struct ArgSpec {
  uint8_t kind = A_NONE;
  uint8_t aux = 0;
};

struct ArgFlag {
  uint64_t v;
  const char* n;
};

// Appends the text of a value of `kind` that needs no guest memory (numbers, flags, named
// constants) and returns true; returns false (appending nothing) for the kinds that
// point at guest memory (strings, buffers, structs).
bool format_scalar_arg(std::string& out, uint8_t kind, uint64_t v);
// Whether the call fills the argument (printed at its exit).
bool arg_is_out(uint8_t kind);
// open/openat print their mode only when a file may be created: false for argument i then.
bool arg_shown(const ArgSpec* args, const uint64_t* a, int i);
// "3", "0x7f..." (R_HEX), "?" (R_NONE), "-1 ENOENT (No such file or directory)".
void format_ret(std::string& out, int64_t ret, uint8_t kind);

// Pieces for the formatters of structs (strace.cpp): flag sets as "A|B|0x40" (`zero` when
// none), "NULL" or hex, hex, a signal's name.
void format_flags(std::string& out, uint64_t v, const ArgFlag* tab, size_t n, const char* zero = "0");
void format_ptr(std::string& out, uint64_t v);
void format_hex(std::string& out, uint64_t v);
void format_signal_arg(std::string& out, uint64_t sig);
// Bytes quoted like strace: C escapes, octal for the rest; "..." after when `more`.
void quote_bytes(std::string& out, const uint8_t* p, size_t n, bool more);

}  // namespace gb
