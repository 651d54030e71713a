def best(rows):
    return max(rows, key=lambda r: int(r['score']))
