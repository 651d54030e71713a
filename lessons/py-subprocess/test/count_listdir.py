import os
import sys

path = sys.argv[1]
print(f"{len(os.listdir(path))} entries in {path}")
