// vm/trace/elf_symbols.h — a program's symbol table for the inspector's Code panel: reads
// an ELF64 file's section headers, .symtab (or .dynsym when stripped) and their string
// table through a reader, and writes the StateTag::Symbols text (vm/trace/state.h).
// Bad or truncated files give an error text, never a crash.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace gb {

// Reads n bytes at offset into dst; false if the file is shorter.
using ElfReader = std::function<bool(uint64_t off, void* dst, size_t n)>;

// "elf <e_type> <first PT_LOAD vaddr hex>\n" then "<value hex> <size> <name>\n" for every
// defined function and object symbol, sorted by value. Returns false (and `err`) if the
// file is not a readable ELF64 x86-64 file. At most `max_symbols` symbols.
bool elf_symbols(const ElfReader& read, std::string& out, std::string& err, size_t max_symbols = 200000);

}  // namespace gb
