# gcc drives cc1, as, collect2 and ld (vfork + execve), then the program runs.
gcc -O2 -Wall hello.c -o hello 2>&1 && ./hello
echo "status $?"
