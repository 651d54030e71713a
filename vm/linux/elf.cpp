// vm/linux/elf.cpp — ELF loading and the initial stack (see elf.h).
#include "vm/linux/elf.h"

#include <algorithm>
#include <cstring>

namespace gb {

namespace {

#pragma pack(push, 1)
struct Ehdr {
  uint8_t ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct Phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#pragma pack(pop)
static_assert(sizeof(Ehdr) == 64 && sizeof(Phdr) == 56, "ELF64 layouts");

enum { ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62 };
enum : uint32_t { PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551 };
enum : uint32_t { PF_X = 1, PF_W = 2, PF_R = 4 };

constexpr uint64_t kUserTop = 1ull << 47;

// Reads exactly n bytes at off, or fails.
bool read_exact(Inode& f, uint64_t off, void* buf, uint64_t n) {
  uint64_t got = 0;
  while (got < n) {
    int64_t r = f.read(off + got, (uint8_t*)buf + got, n - got, 0);
    if (r <= 0) return false;
    got += (uint64_t)r;
  }
  return true;
}

struct Image {
  Ehdr eh;
  std::vector<Phdr> ph;
  uint64_t file_size = 0;
};

int parse(Inode& f, const std::string& name, Image& img, std::string& err) {
  Stat st;
  int e = f.getattr(st);
  if (e < 0) { err = name + ": cannot stat"; return e; }
  img.file_size = (uint64_t)st.size;
  if (img.file_size < sizeof(Ehdr) || !read_exact(f, 0, &img.eh, sizeof img.eh)) {
    err = name + ": file too short for an ELF header";
    return -LX_ENOEXEC;
  }
  const Ehdr& h = img.eh;
  if (memcmp(h.ident, "\177ELF", 4) != 0) { err = name + ": not an ELF file"; return -LX_ENOEXEC; }
  if (h.ident[4] != 2) { err = name + ": not a 64-bit ELF file (only x86-64 is supported)"; return -LX_ENOEXEC; }
  if (h.ident[5] != 1) { err = name + ": not a little-endian ELF file"; return -LX_ENOEXEC; }
  if (h.machine != EM_X86_64) {
    err = name + ": ELF machine " + std::to_string(h.machine) + " is not x86-64";
    return -LX_ENOEXEC;
  }
  if (h.type != ET_EXEC && h.type != ET_DYN) {
    err = name + ": ELF type " + std::to_string(h.type) + " is not an executable or shared object";
    return -LX_ENOEXEC;
  }
  if (h.phentsize != sizeof(Phdr)) { err = name + ": bad program header size"; return -LX_ENOEXEC; }
  if (h.phnum == 0 || h.phnum > 65536 / sizeof(Phdr)) { err = name + ": bad program header count"; return -LX_ENOEXEC; }
  const uint64_t ph_bytes = (uint64_t)h.phnum * sizeof(Phdr);
  if (h.phoff > img.file_size || ph_bytes > img.file_size - h.phoff) {
    err = name + ": program headers lie outside the file";
    return -LX_ENOEXEC;
  }
  img.ph.resize(h.phnum);
  if (!read_exact(f, h.phoff, img.ph.data(), ph_bytes)) { err = name + ": cannot read program headers"; return -LX_EIO; }
  int nload = 0;
  for (const Phdr& p : img.ph) {
    if (p.type != PT_LOAD) continue;
    nload++;
    if (p.filesz > p.memsz) { err = name + ": PT_LOAD with p_filesz > p_memsz"; return -LX_ENOEXEC; }
    if (p.offset > img.file_size || p.filesz > img.file_size - p.offset) {
      err = name + ": PT_LOAD extends past the end of the file (truncated?)";
      return -LX_ENOEXEC;
    }
    if (((p.vaddr - p.offset) & (PAGE - 1)) != 0) {
      err = name + ": PT_LOAD p_vaddr and p_offset are not congruent modulo the page size";
      return -LX_ENOEXEC;
    }
    if (p.vaddr >= kUserTop || p.memsz >= kUserTop || p.vaddr + p.memsz > kUserTop) {
      err = name + ": PT_LOAD outside the user address space";
      return -LX_ENOEXEC;
    }
  }
  if (!nload) { err = name + ": no PT_LOAD segment"; return -LX_ENOEXEC; }
  return 0;
}

uint32_t seg_prot(uint32_t f) {
  return ((f & PF_R) ? PROT_R : 0) | ((f & PF_W) ? PROT_W : 0) | ((f & PF_X) ? PROT_X : 0);
}

// Maps the PT_LOAD segments of `img` with load bias `bias`.
int map_segments(AddressSpace& mem, const Image& img, const InodeRef& file, const std::string& name, uint64_t bias,
                 std::string& err) {
  for (const Phdr& p : img.ph) {
    if (p.type != PT_LOAD || p.memsz == 0) continue;
    const uint32_t prot = seg_prot(p.flags);
    const uint64_t va = bias + p.vaddr;
    const uint64_t start = page_down(va);
    const uint64_t file_end = va + p.filesz;
    const uint64_t mem_end = va + p.memsz;
    if (mem_end > kUserTop || mem_end < va) { err = name + ": segment outside the user address space"; return -LX_ENOEXEC; }
    uint64_t anon_start = start;
    if (p.filesz) {
      const uint64_t len = page_up(file_end) - start;
      auto backing = std::make_shared<InodeBacking>(file, name, p.offset + p.filesz);
      int64_t r = mem.map(start, len, prot, true, false, false, backing, page_down(p.offset), name);
      if (r < 0) { err = name + ": cannot map a segment"; return -LX_ENOMEM; }
      anon_start = page_up(file_end);
    }
    if (page_up(mem_end) > anon_start) {
      int64_t r = mem.map(anon_start, page_up(mem_end) - anon_start, prot, true, false, false, nullptr, 0, "");
      if (r < 0) { err = name + ": cannot map .bss"; return -LX_ENOMEM; }
    }
  }
  return 0;
}

void span(const Image& img, uint64_t& lo, uint64_t& hi) {
  lo = ~0ull;
  hi = 0;
  for (const Phdr& p : img.ph) {
    if (p.type != PT_LOAD) continue;
    lo = std::min(lo, page_down(p.vaddr));
    hi = std::max(hi, page_up(p.vaddr + p.memsz));
  }
}

// Chooses a bias for an image placed top-down in the mmap area.
int64_t mmap_area_bias(AddressSpace& mem, const Image& img) {
  uint64_t lo, hi;
  span(img, lo, hi);
  const uint64_t at = mem.find_free(hi - lo, 0);
  if (!at) return -LX_ENOMEM;
  return (int64_t)(at - lo);
}

uint64_t phdr_addr(const Image& img, uint64_t bias) {
  for (const Phdr& p : img.ph)
    if (p.type == PT_PHDR) return bias + p.vaddr;
  for (const Phdr& p : img.ph)
    if (p.type == PT_LOAD && img.eh.phoff >= p.offset && img.eh.phoff - p.offset < p.filesz)
      return bias + p.vaddr + (img.eh.phoff - p.offset);
  return 0;
}

}  // namespace

int sniff_exec(Inode& file, std::string& first_line) {
  char buf[256];
  int64_t n = file.read(0, buf, sizeof buf, 0);
  if (n < 0) return (int)n;
  if (n >= 4 && memcmp(buf, "\177ELF", 4) == 0) return 1;
  if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
    size_t k = 2;
    while (k < (size_t)n && buf[k] != '\n') k++;
    first_line.assign(buf + 2, k - 2);
    return 2;
  }
  return 0;
}

int load_elf(Vfs& vfs, const Loc& root, const Loc& exe, AddressSpace& mem, ElfInfo& out, std::string& err) {
  Image img;
  int e = parse(*exe.node, exe.path, img, err);
  if (e < 0) return e;

  // PT_INTERP and PT_GNU_STACK
  for (const Phdr& p : img.ph) {
    if (p.type == PT_INTERP) {
      if (p.filesz < 2 || p.filesz > 4096 || p.offset > img.file_size || p.filesz > img.file_size - p.offset) {
        err = exe.path + ": bad PT_INTERP";
        return -LX_ENOEXEC;
      }
      std::string s(p.filesz, '\0');
      if (!read_exact(*exe.node, p.offset, &s[0], p.filesz)) { err = exe.path + ": cannot read PT_INTERP"; return -LX_EIO; }
      if (s.back() != '\0') { err = exe.path + ": PT_INTERP is not NUL-terminated"; return -LX_ENOEXEC; }
      s.resize(strlen(s.c_str()));
      out.interp = s;
    } else if (p.type == PT_GNU_STACK) {
      out.exec_stack = (p.flags & PF_X) != 0;
    }
  }

  mem.mmap_base = kMmapBase;

  // The program.
  uint64_t bias = 0;
  if (img.eh.type == ET_DYN) {
    if (!out.interp.empty()) {
      uint64_t lo, hi;
      span(img, lo, hi);
      bias = kEtDynBase - lo;
    } else {
      int64_t b = mmap_area_bias(mem, img);
      if (b < 0) { err = exe.path + ": no room in the address space"; return (int)b; }
      bias = (uint64_t)b;
    }
  }
  e = map_segments(mem, img, exe.node, exe.path, bias, err);
  if (e < 0) return e;
  out.load_bias = bias;
  out.prog_entry = bias + img.eh.entry;
  out.entry = out.prog_entry;
  out.phdr = phdr_addr(img, bias);
  out.phnum = img.eh.phnum;
  out.phent = sizeof(Phdr);
  {
    uint64_t lo, hi;
    span(img, lo, hi);
    out.brk = bias + hi;
  }

  // The interpreter.
  if (!out.interp.empty()) {
    Loc il;
    ResolveOpts o;
    e = vfs.resolve(root, root, out.interp, o, il);
    if (e < 0) {
      err = exe.path + ": interpreter " + out.interp + ": " + errno_message(-e);
      return e == -LX_ENOENT ? -LX_ENOENT : e;
    }
    if (!il.node->is_reg()) { err = out.interp + ": interpreter is not a regular file"; return -LX_EACCES; }
    Image ii;
    e = parse(*il.node, il.path, ii, err);
    if (e < 0) return e;
    for (const Phdr& p : ii.ph)
      if (p.type == PT_INTERP) { err = il.path + ": the interpreter has an interpreter"; return -LX_ELIBBAD; }
    uint64_t ibias = 0;
    if (ii.eh.type == ET_DYN) {
      int64_t b = mmap_area_bias(mem, ii);
      if (b < 0) { err = il.path + ": no room in the address space"; return (int)b; }
      ibias = (uint64_t)b;
    }
    e = map_segments(mem, ii, il.node, il.path, ibias, err);
    if (e < 0) return e;
    out.interp_base = ibias;
    out.entry = ibias + ii.eh.entry;
  }
  return 0;
}

// The initial stack, from high addresses to low (Linux fs/binfmt_elf.c, fs/exec.c):
//   [top]        8 zero bytes, then the execfn string (AT_EXECFN points here)
//                environment strings, argument strings
//                "x86_64" (AT_PLATFORM), 16 random bytes (AT_RANDOM)
//                (padding so that rsp ends up 16-byte aligned)
//                auxv pairs ending in AT_NULL, NULL, envp[], NULL, argv[], argc  <- rsp
uint64_t build_stack(AddressSpace& mem, const ElfInfo& info, const StackInit& init, bool exec_stack) {
  const uint32_t prot = PROT_R | PROT_W | (exec_stack ? PROT_X : 0);
  if (mem.map(kStackTop - kStackSize, kStackSize, prot, true, false, false, nullptr, 0, "[stack]") < 0) return 0;
  uint64_t sp = kStackTop - 8;  // the final 8 bytes stay zero
  auto push_str = [&](const std::string& s) -> uint64_t {
    sp -= s.size() + 1;
    if (!mem.copy_out(sp, s.c_str(), s.size() + 1)) return 0;
    return sp;
  };
  uint64_t total = init.execfn.size() + 1;
  for (auto& s : init.argv) total += s.size() + 1;
  for (auto& s : init.envp) total += s.size() + 1;
  if (total > kStackSize / 4) return 0;  // E2BIG, as Linux (a quarter of the stack rlimit)

  const uint64_t execfn = push_str(init.execfn);
  std::vector<uint64_t> envp(init.envp.size()), argv(init.argv.size());
  for (size_t i = init.envp.size(); i-- > 0;) envp[i] = push_str(init.envp[i]);
  for (size_t i = init.argv.size(); i-- > 0;) argv[i] = push_str(init.argv[i]);
  sp &= ~15ull;
  const uint64_t platform = push_str("x86_64");
  sp -= 16;
  const uint64_t random = sp;
  mem.copy_out(random, init.random, 16);

  enum : uint64_t {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8,
    AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16,
    AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51,
  };
  const std::vector<uint64_t> aux = {
      AT_MINSIGSTKSZ, 2048,
      AT_HWCAP, init.hwcap,    AT_PAGESZ, PAGE,          AT_CLKTCK, 100,
      AT_PHDR, info.phdr,      AT_PHENT, info.phent,     AT_PHNUM, info.phnum,
      AT_BASE, info.interp_base, AT_FLAGS, 0,            AT_ENTRY, info.prog_entry,
      AT_UID, init.uid,        AT_EUID, init.euid,       AT_GID, init.gid,
      AT_EGID, init.egid,      AT_SECURE, 0,             AT_RANDOM, random,
      AT_HWCAP2, 0,            AT_EXECFN, execfn,        AT_PLATFORM, platform,
      AT_NULL, 0,
  };
  std::vector<uint64_t> words;
  words.push_back(init.argv.size());
  for (uint64_t a : argv) words.push_back(a);
  words.push_back(0);
  for (uint64_t e : envp) words.push_back(e);
  words.push_back(0);
  for (uint64_t v : aux) words.push_back(v);
  sp = (sp - words.size() * 8) & ~15ull;
  if (!mem.copy_out(sp, words.data(), words.size() * 8)) return 0;
  if (!execfn || !platform) return 0;
  for (uint64_t a : argv) if (!a) return 0;
  for (uint64_t e : envp) if (!e) return 0;
  return sp;
}

}  // namespace gb
