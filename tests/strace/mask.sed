# tests/strace/mask.sed — what varies between two runs of the same program (or between the
# engine and the host by design) is masked before strace outputs are compared:
#   addresses, pids, times, random bytes and random file names;
#   vDSO calls (the host answers clock_gettime & co. in user space, the engine has no vDSO
#   and makes the syscall): their lines are dropped on both sides;
#   rseq (the engine answers ENOSYS: glibc then works without it): its result is masked;
#   strace's column padding (it depends on the width of what was masked);
#   SIGCHLD lines (the host runs parent and child at once: where the signal lands among the
#   parent's calls is timing; the engine runs one task at a time);
#   the core-dump bit (whether a core is written depends on the host's core settings);
#   registers at syscall stops (leftovers of user code: the host's vDSO clobbers some);
#   getrandom lines (glibc's mkstemp calls it only when a clock-derived value falls in an
#   "unfair" range: chance) and forks restarted by a signal that came meanwhile (timing).
/^(\[pid +[0-9]+\] |[0-9]+ +)?getrandom\(/d
/= \? ERESTARTNOINTR/d
/^(\[pid +[0-9]+\] |[0-9]+ +)?--- SIGCHLD /d
s/ && WCOREDUMP\(s\)//
s/(PTRACE_GET_SYSCALL_INFO, .*args=)\[[^]]*\]/\1[ARGS]/
s/rval=-?[0-9]+/rval=N/
s/^(tgkill\()([0-9]+), [0-9]+/\1PID, TID/
/^(setpgid|getpgid|getsid|setsid|getpgrp)\(/ s/[0-9]+/N/g
s/(S_IFDIR\|[0-7]+, st_size=)[0-9]+/\1N/g
/^(\[pid +[0-9]+\] |[0-9]+ +)?(clock_gettime|clock_getres|gettimeofday|time|getcpu)\(/d
s/0x[0-9a-f]+/ADDR/g
s/^\[pid +[0-9]+\] /[pid PID] /
s/^[0-9]+ +/PID /
s/(rseq\(.*\)) += .*/\1 = RSEQ/
s/(set_tid_address|getpid|getppid|gettid|fork|vfork|clone|clone3)(\(.*\)) += [0-9]+/\1\2 = PID/
s/(wait4|waitid)\((P_PID, )?[0-9]+/\1(\2PID/
s/(wait4|waitid)(\(.*\)) += [0-9]+/\1\2 = PID/
s/si_pid=[0-9]+/si_pid=PID/g
s/(si_utime|si_stime)=[0-9]+( \/\* [0-9.]+ s \*\/)?/\1=N/g
s/^(ptrace|kill|tgkill|tkill|process_vm_readv|process_vm_writev)\((PTRACE_[A-Z_]+, |ADDR \/\* PTRACE_\?\?\? \*\/, )?-?[0-9]+/\1(\2PID/
s/(tv_sec|tv_nsec|tv_usec)=[0-9]+/\1=N/g
s/(PTRACE_[GS]ETREGS, PID, )\{r15=[^}]*\}/\1{REGS}/
s/(PTRACE_GETEVENTMSG, PID, NULL, )\[[0-9]+\]/\1[MSG]/
s/getrandom\("[^"]*"(\.\.\.)?/getrandom("RANDOM"/
s/(gbsys-[a-z_]+-)[A-Za-z0-9]{6}/\1XXXXXX/g
s/\/tmp\/cc[A-Za-z0-9]{6}\./\/tmp\/ccXXXXXX./g
s/\+\+\+ exited with/+++ exited with/
s/ +=( |$)/ =\1/
