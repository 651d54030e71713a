import subprocess
import sys

path = sys.argv[1]
r = subprocess.run(['ls', '-1', path], capture_output=True, text=True, check=True)
print(f"{len(r.stdout.splitlines())} entries in {path}")
