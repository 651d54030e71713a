// inspector/state/state_model.h — the models of the panels fed by state requests (not by
// trace records): Control (the machine's stop state and the breakpoints), Registers,
// Code, Memory and JIT blocks (docs/inspector.md). The page forwards each reply of the
// engine's gb_inspect (tagged sections, vm/trace/state.h) to apply(); the models keep
// plain data, decoded once when a reply arrives (disassembly included), so drawing a
// frame only reads. Requests go the other way as JSON text (commands the panels or the
// test hook queue, and the periodic refresh the page sends).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "inspector/disasm/disasm.h"
#include "inspector/state/jit_model.h"
#include "inspector/state/region_model.h"
#include "vm/trace/state.h"

namespace gbi {

using gb::BlockState;
using gb::RegsState;
using gb::StatusState;

// [SECTION] maps
struct MapEntry {
  uint64_t start = 0, end = 0, offset = 0;
  char perms[5] = "----";
  std::string name;  // path, [heap], [stack], [vdso] or ""
};
// Parses /proc/PID/maps lines ("start-end perms offset [dev inode] name"); lines that do
// not parse are skipped and counted in *bad.
std::vector<MapEntry> parse_maps(const char* text, size_t n, size_t* bad = nullptr);
// The mapping holding addr, or null.
const MapEntry* map_at(const std::vector<MapEntry>& maps, uint64_t addr);

// [SECTION] registers
// Names in RegsState::r order.
extern const char* const kGprNames[16];
enum RegSlot { kSlotRip = 16, kSlotRflags = 17, kSlotFs = 18, kSlotGs = 19, kSlotCount = 20 };
struct RegsModel {
  bool have = false;
  RegsState cur{}, prev{};
  bool have_prev = false;
  uint32_t changed = 0;      // bit i: slot i (GPRs, rip, rflags, fs, gs) changed since the last stop
  uint16_t xmm_changed = 0;  // bit i: xmm i
  uint8_t st_changed = 0;    // bit i: st(i)
  uint64_t stop_seen = ~0ull;
  // A new snapshot; `new_stop`: it belongs to a stop (or a running refresh) after the one
  // shown, so the current values become "previous".
  void update(const RegsState& r, bool new_stop);
  void to_json(std::string& out) const;
  void to_text(std::string& out) const;
};
// "CF PF ZF ..." of the set flags, and IOPL-free names of the rest.
void rflags_text(uint64_t f, char* out, size_t n);
// st(i) as a long double's value text ("1.5", "-inf", "nan", "empty").
void x87_text(const RegsState& r, int i, char* out, size_t n);

// [SECTION] symbols
struct Symbol { uint64_t value, size; std::string name; };
struct LineRow { uint64_t addr; uint32_t file, line; };
struct SymbolTable {
  std::string path;
  unsigned elf_type = 0;     // 2 EXEC, 3 DYN
  uint64_t first_load = 0;
  std::vector<Symbol> syms;  // by value
  std::vector<std::string> files;  // DWARF line table: file names by index
  std::vector<LineRow> lines;      // by address
  std::string lines_text;          // the Lines section as received (vm/trace/line_rule.h reads it)
  std::string error;
  bool parse(const std::string& path, const char* text, size_t n);
  const Symbol* find(const char* name) const;
  // The symbol holding a link-time address (or the nearest before, within 64 KiB).
  const Symbol* at(uint64_t vaddr) const;
  // The DWARF line table (the Lines section); "hello.c:3" for a link-time address inside
  // a function that has rows (false if none).
  void parse_lines(const char* text, size_t n);
  bool source_line(uint64_t vaddr, char* out, size_t n) const;
};

// [SECTION] code
struct CodeModel {
  uint64_t base = 0;             // first byte of `bytes`
  std::vector<uint8_t> bytes;
  uint64_t rip = 0;
  bool att = false;
  uint64_t limit = ~0ull;        // no lines from here on (the end of rip's function)
  std::vector<DisasmLine> lines;
  int rip_line = -1;
  // Disassembles from `start_hint` when it lies in the window (a symbol's start), else
  // from the first offset whose instructions land on rip, else from rip.
  void rebuild(uint64_t start_hint);
};

// [SECTION] the whole state
struct StateModel {
  bool have_status = false;
  StatusState status{};
  RegsModel regs;
  CodeModel code;
  std::string exe;
  std::vector<MapEntry> maps;
  // memory (the hex view)
  uint64_t mem_addr = 0;
  std::vector<uint8_t> mem, mem_valid;
  // decoded blocks; the selected block's bytes and disassembly
  std::vector<BlockState> blocks;
  int block_sel = -1;
  uint64_t block_code_addr = 0;
  std::vector<uint8_t> block_bytes;  // (the syntax switch disassembles them again)
  std::vector<DisasmLine> block_lines;
  // the JIT: the entry of every compiled region (Regions section) and the selected one
  // (a Region reply, purpose 3)
  std::vector<uint64_t> regions;
  RegionModel region;
  JitModel jit;  // the regions' list (RegionList section) and the JIT's drops (records)
  // symbols of the running program (requested when exe changes)
  SymbolTable symbols;
  std::string error;  // the last Error section
  uint64_t replies = 0;

  // ---- breakpoints (kept here; each change sends the whole list) ----
  struct Break { std::string path; uint64_t vaddr = 0; bool pie = false; std::string label; };
  std::vector<Break> path_breaks;
  std::vector<uint64_t> addr_breaks;
  std::vector<std::string> syscall_breaks;
  struct LineBreak { std::string path, file; uint32_t line = 0; };  // resolved by the engine
  std::vector<LineBreak> line_breaks;
  std::vector<std::string> signal_breaks;  // "SIGSEGV"
  // One list, the truth for the editor's gutter too: every change goes through
  // send_breaks(), which counts here, and so does the arrival of symbols that place symbol
  // breakpoints on lines (the page redraws the editor's dots when it moves).
  uint64_t breaks_version = 0;
  size_t break_count() const {
    return path_breaks.size() + addr_breaks.size() + syscall_breaks.size() + line_breaks.size() + signal_breaks.size();
  }
  // The source lines of `editor_path` holding a breakpoint: line breakpoints whose file
  // names it (vm/trace/line_rule.h's matching) and symbol breakpoints whose address the
  // program's line table places in it.
  std::vector<uint32_t> break_lines(const std::string& editor_path) const;
  // A symbol breakpoint's source file (the line table's path) and line, when the program's
  // symbols are loaded and its address has a row.
  bool path_break_source(const Break& b, std::string& file, uint32_t& line) const;
  // The instructions of a source line (the editor's "show instructions"): its first run
  // of rows, disassembled from a Memory reply with purpose 2.
  std::string line_view_label;  // "hello.c:5"
  uint64_t line_view_addr = 0;
  std::vector<DisasmLine> line_view;

  // `purpose` 1: the bytes of the selected block (a Memory section); 3: a region request
  // (a Region section, or an Error saying why none).
  void apply(const uint8_t* reply, size_t n, int purpose = 0);
  // A new machine (Reset machine, or the engine restarted): everything of the old one is
  // dropped except the breakpoints the student set (and the syntax choice), which are
  // queued for the new engine at once. Line breakpoints resolve by file and line as the
  // program runs; symbol breakpoints keep their address until the program's symbols
  // arrive again, then follow the symbol (resolve_path_breaks).
  void new_machine();
  // Re-resolves the symbol breakpoints of the program whose symbols just arrived (it may
  // have been rebuilt); sends the list when an address moved.
  void resolve_path_breaks();
  void rebuild_code();  // the listing from the function's start to its end when symbols hold rip
  // Intel or AT&T: the code listing, the selected block and the region shown, redone.
  void set_syntax(bool att);
  // The runtime address of a link-time one in the running program (PIE: + load base).
  uint64_t load_bias() const;
  // "main+0x12" for a runtime address (empty if unknown).
  void symbolize(uint64_t addr, char* out, size_t n) const;
  // "hello.c:3" for a runtime address of the running program (false if unknown).
  bool source_line(uint64_t addr, char* out, size_t n) const;

  // Where the stopped task is: its function, the source file's path and line (false if unknown).
  bool where(std::string& func, std::string& file, uint32_t& line) const;
  // The request for the instructions of `file`:`line` (line_view); false if the running
  // program has no rows for it. `line` is moved to the next line with code, as breakpoints.
  bool line_view_request(const char* file, uint32_t line, std::string& req);
  // The runtime addresses where file:line starts (the breakpoint rule), for the editor.
  std::vector<uint64_t> line_addresses(const char* file, uint32_t line, uint32_t* used) const;

  // ---- requests (JSON text) ----
  std::vector<std::string> commands;  // queued for the page to send
  void command(const char* op, int tid = 0);    // pause, resume, step, syscall
  void follow(int pid);
  // "main", "0x401126", "main+4", "hello.c:5" (a source line, resolved by the engine, also
  // before the program exists) or "SIGSEGV"; `path` empty: the running program. false + error text.
  bool add_break(const char* where, const char* path, std::string& err);
  void add_syscall_break(const char* name);
  // The editor's gutter: removes every breakpoint shown on `file`:`line` (break_lines: a
  // line breakpoint typed as "hello.c:5" too) and returns false, or, if there was none,
  // sets a line breakpoint of program `path` there and returns true.
  bool toggle_line_break(const char* path, const char* file, uint32_t line);
  void clear_breaks();
  void send_breaks();
  // lite: the status and registers only (no code window, maps or blocks): a record panel is
  // shown while the machine runs, nothing else is drawn from the reply.
  // nregions: the JIT panel's list of compiled regions (0: none).
  void refresh_request(std::string& out, uint64_t mem_addr, uint32_t mem_len, uint32_t blocks, bool lite = false,
                       uint32_t nregions = 0) const;

  void to_json(std::string& out, const char* panel) const;
  void to_text(std::string& out, const char* panel) const;
  // One line per breakpoint ("hello.c:5  (/home/student/hello)", "main  0x1139 + load base ...").
  void breaks_text(std::string& out, const char* prefix) const;
};

}  // namespace gbi
