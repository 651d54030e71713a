import sys


def main():
    path = sys.argv[1]
    total = 0.0
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    total += float(line)
                except ValueError:
                    print(f"total: {path}, line {n}: not a number: {line.strip()!r}", file=sys.stderr)
                    sys.exit(1)
    except FileNotFoundError as e:
        print(f"total: {path}: {e.strerror}", file=sys.stderr)
        sys.exit(1)
    print(f"total: {total:g}")


main()
