# gcc -g, then objdump of one function (with line numbers from the debug info).
gcc -g -O1 -c fn.c -o fn.o 2>&1; echo "gcc status $?"
objdump -d -l --no-show-raw-insn --disassemble=sum_squares fn.o | sed 1,2d
objdump -d --disassemble=clamp fn.o | sed 1,2d
readelf -S -W fn.o | grep -c debug
