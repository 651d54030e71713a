// vm/linux/elf.h — the ELF loader and the initial process stack.
//
//   load_elf()         maps a static, static-pie or dynamic x86-64 executable (and its
//                      PT_INTERP, ld.so) into a fresh address space, like Linux's
//                      binfmt_elf without address-space randomisation
//   build_stack()      argc, argv, envp and the auxiliary vector, exactly as Linux lays
//                      them out (see elf.cpp for the byte layout)
//
// Placement (no ASLR, as Linux with randomize_va_space=0):
//   ET_EXEC                  at its link addresses
//   ET_DYN with PT_INTERP    load bias 0x555555554000 (ELF_ET_DYN_BASE)
//   ET_DYN without PT_INTERP (static-pie, ld.so run directly) and the interpreter:
//                            top-down in the mmap area below mmap_base (0x7ffff7fff000)
//   stack                    8 MiB below 0x7ffffffff000
//   brk                      the page after the program's highest segment
// Every PT_LOAD becomes a private file mapping through the VFS (InodeBacking clipped at
// p_offset + p_filesz, so the partial page before .bss reads as zeros) plus an
// anonymous mapping for the rest of .bss. Malformed files fail with ENOEXEC and a
// reason, never a crash.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "vm/fs/vfs.h"
#include "vm/mem/address_space.h"

namespace gb {

constexpr uint64_t kStackTop = 0x7ffffffff000ull;
constexpr uint64_t kStackSize = 8ull << 20;
constexpr uint64_t kMmapBase = 0x7ffff7fff000ull;
constexpr uint64_t kEtDynBase = 0x555555554000ull;

struct ElfInfo {
  uint64_t entry = 0;       // where execution starts (ld.so's entry if dynamic)
  uint64_t prog_entry = 0;  // the program's own entry (AT_ENTRY)
  uint64_t phdr = 0;        // AT_PHDR
  uint16_t phnum = 0, phent = 0;
  uint64_t interp_base = 0; // AT_BASE
  uint64_t load_bias = 0;
  uint64_t brk = 0;
  bool exec_stack = false;
  std::string interp;       // PT_INTERP path ("" if static)
};

// Reads the first bytes of a file to classify it: 1 = ELF, 2 = "#!" script, 0 = other.
int sniff_exec(Inode& file, std::string& first_line);

// Loads `exe` (and its interpreter, resolved with `vfs` inside `root`) into `mem`.
// Returns 0 or -errno; on error `err` says why.
int load_elf(Vfs& vfs, const Loc& root, const Loc& exe, AddressSpace& mem, ElfInfo& out, std::string& err);

struct StackInit {
  std::vector<std::string> argv, envp;
  std::string execfn;        // AT_EXECFN string
  uint8_t random[16];        // AT_RANDOM bytes
  uint64_t hwcap = 0;        // AT_HWCAP
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
};

// Maps the stack VMA and writes the initial stack. Returns the initial rsp (pointing at
// argc) or 0 on failure (E2BIG: arguments too large).
uint64_t build_stack(AddressSpace& mem, const ElfInfo& info, const StackInit& init, bool exec_stack);

}  // namespace gb
