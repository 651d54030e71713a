# make of a multi-file C project; then touching a header rebuilds exactly its dependants.
make 2>&1; echo "make status $?"
./app
make 2>&1; echo "second make status $?"
ls *.d
# Put every file at a fixed past time (objects after sources, the program after the
# objects), then touch shapes.h: main.o and shapes.o include it, util.o does not.
touch -d '2024-01-01 00:00:00' *.c *.h Makefile
touch -d '2024-01-01 00:00:10' *.o *.d
touch -d '2024-01-01 00:00:20' app
touch shapes.h
make 2>&1; echo "make after touching shapes.h: status $?"
for f in main.o shapes.o util.o app; do
  case $(date -r "$f" +%Y) in 2024) echo "$f kept";; *) echo "$f rebuilt";; esac
done
./app
