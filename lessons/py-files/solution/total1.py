import sys

total = 0.0
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            total += float(line)
print(f"total: {total:g}")
