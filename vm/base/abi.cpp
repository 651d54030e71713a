// vm/base/abi.cpp — names for the guest ABI's numbers (see abi.h).
#include "vm/base/abi.h"

namespace gb {

const char* signal_name(int sig) {
  static const char* const kNames[] = {
      nullptr,   "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT", "SIGBUS",
      "SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",   "SIGPIPE", "SIGALRM", "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
  };
  if (sig > 0 && sig < 32) return kNames[sig];
  return nullptr;
}

bool signal_is_fault(int sig) {
  return sig == LSIGSEGV || sig == LSIGBUS || sig == LSIGILL || sig == LSIGFPE || sig == LSIGTRAP;
}

}  // namespace gb
