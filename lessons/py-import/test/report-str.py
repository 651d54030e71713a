import csv
import json

with open('scores.csv') as f:
    rows = list(csv.DictReader(f))
top = max(rows, key=lambda r: int(r['score']))
print(json.dumps({'name': top['name'], 'score': top['score']}))
