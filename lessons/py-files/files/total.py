import sys

# total.py FILE: prints "total: N", the sum of the numbers in FILE (one per line).
# TODO
