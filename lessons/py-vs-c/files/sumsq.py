import sys

# sumsq.py N: prints 0*0 + 1*1 + ... + (N-1)*(N-1)
# TODO
