# A program without libc: _start does some arithmetic, prints a line with write(2) and
# exits with a computed status through exit_group(2).
# glassbox-guest: flags=-nostdlib -static -no-pie variants=O0
        .text
        .globl _start
_start:
        mov     $12, %ecx               # sum of 1..12 with a loop
        xor     %eax, %eax
1:      add     %rcx, %rax
        loop    1b                      # rax = 78
        lea     msg(%rip), %rsi
        mov     %al, %dl                # put the value as two decimal digits into the message
        movzbl  %dl, %eax
        mov     $10, %bl
        div     %bl                     # al = 7, ah = 8
        add     $'0', %al
        add     $'0', %ah
        mov     %al, digits(%rip)
        mov     %ah, digits+1(%rip)
        mov     $1, %edi                # write(1, msg, len)
        mov     $len, %edx
        mov     $1, %eax
        syscall
        cmp     $len, %rax
        jne     2f
        mov     $231, %eax              # exit_group(33)
        mov     $33, %edi
        syscall
2:      mov     $231, %eax
        mov     $99, %edi
        syscall

        .data
msg:    .ascii  "asm_start: sum = "
digits: .ascii  "??\n"
        .set    len, . - msg
        .section .note.GNU-stack,"",@progbits
