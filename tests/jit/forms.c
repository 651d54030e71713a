// tests/jit/forms.c — the forms the JIT compiles inline besides the 32/64-bit register
// ALU (tests/jit/run.sh runs it with --jit always, on and off against the host):
//   byte ALU and test, registers (ah..bh without REX, sil/dil with it) and memory, read
//   by a fused jcc (signed and unsigned), setcc and pushf; read-modify-write memory
//   (add/sub/and/or/xor [mem], reg or imm; 8, 32 and 64 bit; the refcount pattern
//   `subq $1, (m); je`); test with memory; byte moves, movzx/movsx from registers and
//   memory; imul from memory; setcc and cmov after a flags producer (fused, also past
//   moves, loads, stores, lea, not, nop) and not (another reader between); neg, not, sbb
//   of one register, 16-bit shifts (python's dispatch); call rel / ret (a return to the block after the call, a
//   return elsewhere: push + ret), call and jmp through a register and through memory,
//   recursion; and the instructions whose store lands in the running block's own page
//   (a read-modify-write of the next instruction's immediate, a push and a call onto a
//   stack inside the code page): they retire, so their flags, rsp and rip must be there
//   when the block stops; loads, stores and read-modify-writes across a page boundary.
// Every case runs over 5000 operand pairs (hot enough for --jit on) and prints one hash
// of results and the flags x86 defines for it.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

enum { CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, ARITH = 0x8d5, LOGIC = CF | PF | ZF | SF | OF };
enum { N = 5000 };
static uint64_t vals[N], vals2[N];

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

// a in rax, b in rbx, c in rcx, d in rdx (jcc outcomes), m: two quadwords of memory (a
// global: nothing of the case lives on the stack, where pushf writes).
static uint64_t m[2];
#define CASE(name, body, def)                                                                     \
  static uint64_t name(void) {                                                                    \
    uint64_t h = 0;                                                                               \
    for (int i = 0; i < N; i++) {                                                                 \
      uint64_t a = vals[i], b = vals2[i], c = vals[(i + 7) % N], d = 0, fl;                       \
      m[0] = vals2[(i + 3) % N];                                                                  \
      m[1] = vals[(i + 11) % N];                                                                  \
      __asm__ volatile(body "\n\tpushfq\n\tpopq %[fl]"                                            \
                       : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [fl] "=&r"(fl), [m] "+m"(m)          \
                       :                                                                          \
                       : "cc", "rsi", "rdi");                                                     \
      h = mix(mix(mix(mix(mix(mix(h, a), b), c), d), m[0] ^ m[1] * 3), fl & (def));               \
    }                                                                                             \
    return h;                                                                                     \
  }

// bytes, registers
CASE(add_ah_bl, "addb %%ah, %%bl", ARITH)
CASE(sub_bh_al_jl, "subb %%bh, %%al\n\tjl 1f\n\tinc %%rdx\n1:", ARITH)
CASE(cmp_ch_dl_jg, "cmpb %%ch, %%bl\n\tjg 1f\n\tadd $2, %%rdx\n1:", ARITH)
CASE(cmp_al_ib_jb, "cmpb $0x80, %%al\n\tjb 1f\n\tadd $3, %%rdx\n1:", ARITH)
CASE(test_ah_ib_js, "testb $0x81, %%ah\n\tjs 1f\n\tadd $4, %%rdx\n1:", LOGIC)
CASE(test_al_al_jle, "testb %%al, %%al\n\tjle 1f\n\tadd $5, %%rdx\n1:", LOGIC)
CASE(and_sil_setne, "movq %%rbx, %%rsi\n\tandb %%sil, %%al\n\tsetne %%dl", LOGIC)
CASE(xor_ah_ch, "xorb %%ch, %%ah", LOGIC)
CASE(or_ib_bh, "orb $0x21, %%bh", LOGIC)
CASE(sub_ib_cl_jge, "subb $0x7f, %%cl\n\tjge 1f\n\tadd $6, %%rdx\n1:", ARITH)
// bytes, memory
CASE(cmp_mb_bl_jae, "cmpb %[m], %%bl\n\tjae 1f\n\tadd $7, %%rdx\n1:", ARITH)
CASE(add_mb_cl, "addb %[m], %%cl", ARITH)
CASE(test_mb_ib_jne, "testb $0x20, %[m]\n\tjne 1f\n\tadd $8, %%rdx\n1:", LOGIC)
CASE(test_mb_ah, "testb %%ah, %[m]", LOGIC)
CASE(add_ah_mb, "addb %%ah, %[m]", ARITH)
CASE(sub_ib_mb_jle, "subb $3, %[m]\n\tjle 1f\n\tadd $9, %%rdx\n1:", ARITH)
CASE(and_ib_mb, "andb $0x5a, %[m]", LOGIC)
CASE(or_bl_mb, "orb %%bl, %[m]", LOGIC)
CASE(xor_ib_mb, "xorb $0xff, %[m]", LOGIC)
// read-modify-write, 32 and 64 bit
CASE(addq_1_m, "addq $1, %[m]", ARITH)
CASE(subq_1_m_je, "subq $1, %[m]\n\tje 1f\n\tadd $10, %%rdx\n1:", ARITH)
CASE(addl_reg_m_jo, "addl %%ebx, %[m]\n\tjo 1f\n\tadd $11, %%rdx\n1:", ARITH)
CASE(subq_reg_m_jb, "subq %%rcx, %[m]\n\tjb 1f\n\tadd $12, %%rdx\n1:", ARITH)
CASE(andq_reg_m, "andq %%rax, %[m]", LOGIC)
CASE(orl_imm_m_js, "orl $0x80000001, %[m]\n\tjs 1f\n\tadd $13, %%rdx\n1:", LOGIC)
CASE(xorq_imm8_m_jz, "xorq $-2, %[m]\n\tjz 1f\n\tadd $14, %%rdx\n1:", LOGIC)
CASE(subl_imm_m_jl, "subl $1000, %[m]\n\tjl 1f\n\tadd $15, %%rdx\n1:", ARITH)
// test with memory, test reg imm
CASE(testq_reg_m_jne, "testq %%rbx, %[m]\n\tjne 1f\n\tadd $16, %%rdx\n1:", LOGIC)
CASE(testl_imm_m, "testl $0x40000100, %[m]", LOGIC)
CASE(testq_imm_reg_jle, "testq $-256, %%rcx\n\tjle 1f\n\tadd $17, %%rdx\n1:", LOGIC)
// moves
CASE(mov_ah_m, "movb %%ah, %[m]\n\tmovb %%bh, 1+%[m]", ARITH)
CASE(mov_m_bh, "movb %[m], %%bh\n\tmovb 3+%[m], %%cl", ARITH)
CASE(mov_ah_dil, "movb %%ah, %%cl\n\tmovq %%rax, %%rdi\n\tmovb %%bl, %%dil\n\tmovq %%rdi, %%rdx", ARITH)
CASE(movzx_regs, "movzbl %%ah, %%ecx\n\tmovzwq %%bx, %%rdx\n\tmovzbl %%bl, %%eax", ARITH)
CASE(movsx_regs, "movsbl %%ah, %%ecx\n\tmovswq %%bx, %%rdx\n\tmovsbq %%al, %%rax", ARITH)
CASE(movsx_mem, "movswq %[m], %%rcx\n\tmovsbl 1+%[m], %%edx\n\tmovswl 6+%[m], %%eax", ARITH)
// imul from memory (CF and OF are defined)
CASE(imul_m64, "imulq %[m], %%rbx", CF | OF)
CASE(imul_m32_jo, "imull %[m], %%ecx\n\tjo 1f\n\tadd $18, %%rdx\n1:", CF | OF)
CASE(imul3_m64, "imulq $-7, %[m], %%rax", CF | OF)

// setcc and cmov after a flags producer (fused in compiled code, also past a nop), and after
// another reader (not fused: cmovne after sete)
CASE(cmp_setl, "cmpq %%rbx, %%rax\n\tsetl %%dl", ARITH)
CASE(cmpb_seta_ch, "cmpb %%bh, %%al\n\tseta %%ch", ARITH)
CASE(test_sete_m, "testl %%eax, %%eax\n\tsete %[m]\n\tsetg 9+%[m]", LOGIC)
CASE(sub_cmovle32, "subl $5, %%ecx\n\tcmovle %%ebx, %%eax", ARITH)
CASE(cmp_cmovb_m64, "cmpq %%rcx, %%rbx\n\tcmovb %[m], %%rdx", ARITH)
CASE(and_cmovne_m32, "andl $0xff00, %%eax\n\tcmovne 8+%[m], %%ecx", LOGIC)
CASE(shl_cmovs, "shlq $3, %%rax\n\tcmovs %%rcx, %%rbx", CF | PF | ZF | SF)
CASE(imul_seto, "imulq %%rbx, %%rax\n\tseto %%dl\n\tsetc %%dh", CF | OF)
CASE(inc_setle, "incl %%ecx\n\tsetle %%dl\n\tcmovo %%rbx, %%rax", OF | SF | ZF | PF | AF)
CASE(cmp_nop_sete, "cmpl %%ebx, %%eax\n\tnop\n\tsete %%dl\n\tcmovne %%ecx, %%ebx", ARITH)

// neg (the flags of sub 0, r), not, sbb of one register (r = -CF), 16-bit shifts: python's
// bytecode dispatch (`shr $8, %si; neg %cx; sbb %dl, %dl`) and its ints' `neg; cmovs`
CASE(py_dispatch, "movl %%eax, %%esi\n\tshrw $8, %%si\n\tnegw %%cx\n\tsbbb %%dl, %%dl\n\torl %%esi, %%edx", LOGIC)
CASE(neg64_js, "negq %%rax\n\tjs 1f\n\tadd $19, %%rdx\n1:", ARITH)
CASE(neg32_cmovs, "negl %%ecx\n\tcmovs %%ebx, %%eax", ARITH)
CASE(neg64_setc_setns, "negq %%rbx\n\tsetc %%dl\n\tsetns %%dh", ARITH)
CASE(neg16_jb, "negw %%bx\n\tjb 1f\n\tadd $20, %%rdx\n1:", ARITH)
CASE(neg32_jle, "negl %%eax\n\tjle 1f\n\tadd $21, %%rdx\n1:", ARITH)
CASE(not_sizes, "notq %%rax\n\tnotw %%bx\n\tnotl %%ecx", ARITH)
CASE(cmp_sbb32_jne, "cmpq %%rbx, %%rax\n\tsbbl %%ecx, %%ecx\n\tjne 1f\n\tadd $22, %%rdx\n1:", ARITH)
CASE(sbb64_self, "sbbq %%rcx, %%rcx", ARITH)
CASE(cmpb_sbb_ah, "cmpb %%bl, %%al\n\tsbbb %%ah, %%ah", ARITH)
CASE(add_sbb_sil_js, "addq %%rbx, %%rax\n\tsbbb %%sil, %%sil\n\tmovzbl %%sil, %%edx\n\tjs 1f\n\tadd $23, %%rdx\n1:", LOGIC)
CASE(shifts16_dead, "shlw $3, %%ax\n\tsarw $5, %%bx\n\tshrw $15, %%cx\n\tshrw $1, %%cx\n\taddl %%ecx, %%edx", ARITH)
CASE(sar16_live, "sarw $3, %%bx", CF | PF | ZF | SF)

// a flags reader fused with the producer across moves, loads, stores, lea, not (python's
// refcount: `subq $1, (m); mov ...; mov ...; je`)
CASE(subq_m_movs_je, "subq $1, %[m]\n\tmovq 8+%[m], %%rcx\n\tmovl %%eax, %%ebx\n\tje 1f\n\tadd $24, %%rdx\n1:", ARITH)
CASE(cmp_lea_not_jl, "cmpq %%rbx, %%rax\n\tleaq 8(%%rax,%%rbx,2), %%rcx\n\tnotq %%rbx\n\tjl 1f\n\tadd $25, %%rdx\n1:", ARITH)
CASE(shl_mov_js, "shlq $3, %%rax\n\tmovq %%rax, %%rcx\n\tjs 1f\n\tadd $26, %%rdx\n1:", CF | PF | ZF | SF)
CASE(inc_movzx_jle, "incl %%ecx\n\tmovzbl %%al, %%edx\n\tjle 1f\n\tadd $27, %%rdx\n1:", OF | SF | ZF | PF | AF)
// lea without a base (index * scale + disp), rip-relative (two, subtracted: the load
// address differs), with a 32-bit address size, into a 32-bit register
CASE(lea_forms, "leaq 0x1c(,%%rbx,4), %%rcx\n\tleal -5(%%rax,%%rbx,8), %%edx\n\tleal (%%eax,%%ebx,2), %%ebx\n\t"
     "leaq 0(%%rip), %%rsi\n\tleaq 0(%%rip), %%rdi\n\tsubq %%rsi, %%rdi\n\taddq %%rdi, %%rax", ARITH)
// cdqe, cwde, cbw (python's `cltq` of an oparg); 16-bit moves (register, load, store,
// immediate store; a register keeps its upper 48 bits); nops (90, 66 90)
CASE(cbw_forms, "cltq\n\tmovq %%rax, %%rdx\n\tmovq %%rbx, %%rax\n\tcwtl\n\tmovq %%rax, %%rcx\n\tmovq %%rbx, %%rax\n\tcbtw", ARITH)
CASE(mov16_forms, "movw %%bx, %%ax\n\tmovw %%cx, %[m]\n\tmovw 2+%[m], %%dx\n\tmovw $0x8081, 6+%[m]\n\tnop\n\txchgw %%ax, %%ax\n\t"
     "movw 12+%[m], %%bx", ARITH)
// 16-bit ALU: registers, immediates, memory both ways, read by fused jcc/setcc (signed and
// unsigned, the sign), and an inc after a 16-bit add (its CF kept from the add)
CASE(cmpw_m_jne, "cmpw $0, %[m]\n\tjne 1f\n\tadd $28, %%rdx\n1:", ARITH)
CASE(cmpw_ax_jg, "cmpw $0xf, %%ax\n\tjg 1f\n\tadd $29, %%rdx\n1:", ARITH)
CASE(subw_jl, "subw %%bx, %%cx\n\tjl 1f\n\tadd $30, %%rdx\n1:", ARITH)
CASE(addw_setc_sets, "addw %%bx, %%ax\n\tsetc %%dl\n\tsets %%dh", ARITH)
CASE(testw_js, "testw $0x8000, %%bx\n\tjs 1f\n\tadd $31, %%rdx\n1:", LOGIC)
CASE(andw_rmw_xorw, "andw %%cx, %[m]\n\txorw 2+%[m], %%dx\n\tjle 1f\n\tadd $32, %%rdx\n1:", LOGIC)
CASE(addw_inc_setc, "addw $0x8000, %%bx\n\tincl %%ecx\n\tsetc %%dl\n\tcmpw %%ax, %%bx\n\tseta %%dh", ARITH)
CASE(cmp_store_setb, "cmpq %%rcx, %%rbx\n\tmovq %%rbx, %[m]\n\tmovb %%al, 9+%[m]\n\tsetb %%dl\n\tcmovae %%rcx, %%rax", ARITH)

// calls and returns
__attribute__((noinline)) static uint64_t leaf(uint64_t x) { __asm__ volatile(""); return x * 5 + 1; }
__attribute__((noinline)) static uint64_t twice(uint64_t x) { __asm__ volatile(""); return leaf(x) + leaf(x >> 3); }
__attribute__((noinline)) static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static uint64_t (*volatile fns[2])(uint64_t) = {leaf, twice};

static uint64_t calls(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) h = mix(h, twice(vals[i]) + leaf(i));
  return h;
}
static uint64_t indirect_calls(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t (*f)(uint64_t) = fns[i & 1];
    uint64_t r;
    // call through memory, then through a register (below the red zone)
    __asm__ volatile("leaq -128(%%rsp), %%rsp\n\tmovq %[x], %%rdi\n\tcall *%[fp]\n\tmovq %%rax, %%rdi\n\tcall *%[f]\n\t"
                     "leaq 128(%%rsp), %%rsp"
                     : "=&a"(r) : [x] "r"(vals[i]), [fp] "m"(fns[(i >> 1) & 1]), [f] "r"(f)
                     : "rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11", "memory", "cc");
    h = mix(h, r);
  }
  return h;
}
static uint64_t recursion(void) {
  uint64_t h = 0;
  for (int i = 0; i < 200; i++) h = mix(h, fib(10 + i % 8));
  return h;
}
// ret to an address no call pushed; jmp through a register and through memory
static uint64_t push_ret_jmp(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t a = vals[i], t;
    __asm__ volatile("leaq -128(%%rsp), %%rsp\n\tleaq 1f(%%rip), %[t]\n\tpushq %[t]\n\tret\n\t"
                     "ud2\n1:\tincq %[a]\n\t"
                     "leaq 2f(%%rip), %[t]\n\tjmp *%[t]\n\tud2\n2:\taddq $3, %[a]\n\t"
                     "leaq 3f(%%rip), %[t]\n\tpushq %[t]\n\tjmp *(%%rsp)\n\tud2\n3:\tpopq %[t]\n\tshlq $1, %[a]\n\tleaq 128(%%rsp), %%rsp"
                     : [a] "+r"(a), [t] "=&r"(t) : : "cc", "memory");
    h = mix(h, a);
  }
  return h;
}

// Stores into the running block's own page (an RWX page holding code and a stack).
static uint8_t* page;
typedef uint64_t (*fn_t)(uint64_t*);
// rmw: addb $1, imm(%rip) patches the immediate of the `add $imm8, %eax` right after it;
// the flags of the addb (read by pushf after the patched add... whose flags replace them:
// so the addb's are saved by lahf into ah first, a byte the add does not reach)
static const uint8_t rmw_code[] = {
    0x31, 0xc0,                          // xor eax, eax
    0x80, 0x05, 0x03, 0x00, 0x00, 0x00, 0x01,  // addb $1, 3(%rip) -> the imm8 of the add below
    0x9f,                                // lahf (ah = SF ZF AF PF CF of the addb)
    0x83, 0xc0, 0x10,                    // add $0x10, %eax  (its imm8 is patched)
    0xc3,                                // ret
};
// push/call onto a stack in the same page: rsp = page + 0xff0 (in the code's page);
// push $7; call f (f: pop the return address into rcx, push it back, ret); the
// results: rsp after each, then restore rsp
static const uint8_t stack_code[] = {
    0x49, 0x89, 0xe0,                          // mov r8, rsp
    0x48, 0x8d, 0xa7, 0xf0, 0x0f, 0x00, 0x00,  // lea rsp, [rdi + 0xff0]   (rdi = page)
    0x6a, 0x07,                                // push 7
    0x48, 0x89, 0xe2,                          // mov rdx, rsp
    0xe8, 0x08, 0x00, 0x00, 0x00,              // call +8 -> f
    0x48, 0x29, 0xd0,                          // sub rax, rdx   (rax: rsp seen in f)
    0x4c, 0x89, 0xc4,                          // mov rsp, r8
    0xc3,                                      // ret
    0xcc,                                      // int3
    0x48, 0x89, 0xe0,                          // f: mov rax, rsp
    0x48, 0x8b, 0x4c, 0x24, 0x08,              // mov rcx, [rsp + 8]   (the pushed 7)
    0x48, 0x01, 0xc8,                          // add rax, rcx
    0xc3,                                      // ret
};

enum { NCODE = 600 };  // (every call drops and decodes the page's code again)
static uint64_t code_page_rmw(void) {
  memcpy(page, rmw_code, sizeof rmw_code);
  uint64_t h = 0;
  for (int i = 0; i < NCODE; i++) h = mix(h, ((uint64_t (*)(void))page)());
  return h;
}
static uint64_t code_page_stack(void) {
  memcpy(page + 0x800, stack_code, sizeof stack_code);
  uint64_t h = 0;
  for (int i = 0; i < NCODE; i++) h = mix(h, ((uint64_t (*)(uint8_t*))(page + 0x800))(page));
  return h;
}

// Loads, stores and read-modify-writes that cross a page boundary (and ones that end
// right before it) at every offset 0..15 from it: the inline TLB probe's one compare must
// send exactly the crossing ones to the helper.
static uint8_t* span;  // two pages
static uint64_t page_cross(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint8_t* p = span + 4096 - 8 - (i % 16);  // p - 4 .. p + 12 spans both pages or not
    uint64_t v = vals[i], r8, r4, r2, x;
    __asm__ volatile(
        "movq %[v], (%[p])\n\taddl %k[v], 2(%[p])\n\tmovzwl 3(%[p]), %k[r2]\n\tmovq -1(%[p]), %[r8]\n\t"
        "movl 5(%[p]), %k[r4]\n\tsubq $77, 1(%[p])\n\tmovdqu -4(%[p]), %%xmm0\n\tmovq %%xmm0, %[x]\n\t"
        "movdqu %%xmm0, 1(%[p])"
        : [r8] "=&r"(r8), [r4] "=&r"(r4), [r2] "=&r"(r2), [x] "=&r"(x)
        : [v] "r"(v), [p] "r"(p)
        : "cc", "memory", "xmm0");
    h = mix(mix(mix(mix(h, r8), r4), r2), x);
  }
  for (int k = 4096 - 32; k < 4096 + 32; k++) h = mix(h, span[k]);
  return h;
}

int main(void) {
  static const uint64_t special[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull, 0x8080, 0x7f7f, 0x40};
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < N; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    vals[i] = i < 16 ? special[i] : (i % 4 == 0 ? s >> (s & 63) : s);
    vals2[i] = i < 256 ? special[i % 16] + (uint64_t)(i / 16) - 1 : (i % 3 == 0 ? (s >> 40) - 0x800000 : s * 3);
  }
  page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) { perror("mmap"); return 1; }
  span = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (span == MAP_FAILED) { perror("mmap"); return 1; }
  struct { const char* name; uint64_t (*fn)(void); } cases[] = {
      {"add ah, bl", add_ah_bl}, {"sub bh, al; jl", sub_bh_al_jl}, {"cmp ch, bl; jg", cmp_ch_dl_jg},
      {"cmp al, 0x80; jb", cmp_al_ib_jb}, {"test ah, 0x81; js", test_ah_ib_js}, {"test al, al; jle", test_al_al_jle},
      {"and sil, al; setne", and_sil_setne}, {"xor ch, ah", xor_ah_ch}, {"or bh, 0x21", or_ib_bh},
      {"sub cl, 0x7f; jge", sub_ib_cl_jge},
      {"cmp bl, [m]; jae", cmp_mb_bl_jae}, {"add cl, [m]", add_mb_cl}, {"test [m], 0x20; jne", test_mb_ib_jne},
      {"test [m], ah", test_mb_ah}, {"add [m], ah", add_ah_mb}, {"sub [m], 3; jle", sub_ib_mb_jle},
      {"and [m], 0x5a", and_ib_mb}, {"or [m], bl", or_bl_mb}, {"xor [m], 0xff", xor_ib_mb},
      {"add qword [m], 1", addq_1_m}, {"sub qword [m], 1; je", subq_1_m_je}, {"add [m], ebx; jo", addl_reg_m_jo},
      {"sub [m], rcx; jb", subq_reg_m_jb}, {"and [m], rax", andq_reg_m}, {"or dword [m], imm; js", orl_imm_m_js},
      {"xor qword [m], -2; jz", xorq_imm8_m_jz}, {"sub dword [m], 1000; jl", subl_imm_m_jl},
      {"test [m], rbx; jne", testq_reg_m_jne}, {"test dword [m], imm", testl_imm_m},
      {"test rcx, -256; jle", testq_imm_reg_jle},
      {"mov [m], ah / bh", mov_ah_m}, {"mov bh / cl, [m]", mov_m_bh}, {"mov cl, ah; dil, bl", mov_ah_dil},
      {"movzx from registers", movzx_regs}, {"movsx from registers", movsx_regs}, {"movsx from memory", movsx_mem},
      {"imul rbx, [m]", imul_m64}, {"imul ecx, [m]; jo", imul_m32_jo}, {"imul rax, [m], -7", imul3_m64},
      {"cmp; setl", cmp_setl}, {"cmp bh, al; seta ch", cmpb_seta_ch}, {"test; sete [m]; setg [m+9]", test_sete_m},
      {"sub; cmovle (32)", sub_cmovle32}, {"cmp; cmovb [m] (64)", cmp_cmovb_m64}, {"and; cmovne [m] (32)", and_cmovne_m32},
      {"shl; cmovs", shl_cmovs}, {"imul; seto; setc dh", imul_seto}, {"inc; setle; cmovo", inc_setle},
      {"cmp; nop; sete; cmovne", cmp_nop_sete},
      {"python's dispatch: shr16, neg16, sbb8", py_dispatch}, {"neg rax; js", neg64_js}, {"neg ecx; cmovs", neg32_cmovs},
      {"neg rbx; setc; setns", neg64_setc_setns}, {"neg bx; jb", neg16_jb}, {"neg eax; jle", neg32_jle},
      {"not rax, bx, ecx", not_sizes}, {"cmp; sbb ecx, ecx; jne", cmp_sbb32_jne}, {"sbb rcx, rcx", sbb64_self},
      {"cmp bl, al; sbb ah, ah", cmpb_sbb_ah}, {"add; sbb sil, sil; js", add_sbb_sil_js},
      {"shl/sar/shr 16-bit, dead flags", shifts16_dead}, {"sar bx, 3 (live flags)", sar16_live},
      {"sub [m], 1; mov; mov; je", subq_m_movs_je}, {"cmp; lea; not; jl", cmp_lea_not_jl}, {"shl; mov; js", shl_mov_js},
      {"inc; movzx; jle", inc_movzx_jle}, {"lea: no base, rip, 32-bit address", lea_forms},
      {"cdqe, cwde, cbw", cbw_forms}, {"16-bit moves, nops", mov16_forms},
      {"cmp word [m], 0; jne", cmpw_m_jne}, {"cmp ax, 0xf; jg", cmpw_ax_jg}, {"sub cx, bx; jl", subw_jl},
      {"add ax, bx; setc; sets", addw_setc_sets}, {"test bx, 0x8000; js", testw_js},
      {"and [m], cx; xor dx, [m+2]; jle", andw_rmw_xorw}, {"add bx, imm16; inc; setc; cmp; seta", addw_inc_setc}, {"cmp; store; store8; setb; cmovae", cmp_store_setb},
      {"call/ret", calls}, {"call through memory, register", indirect_calls}, {"recursion (fib)", recursion},
      {"push+ret, jmp reg, jmp mem", push_ret_jmp},
      {"loads, stores, rmw across a page", page_cross},
      {"rmw into the running block", code_page_rmw}, {"push, call onto a stack in the code page", code_page_stack},
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    printf("%-40s %016llx\n", cases[i].name, (unsigned long long)cases[i].fn());
  return 0;
}
