import csv
import json

from stats import best

with open('scores.csv') as f:
    rows = list(csv.DictReader(f))
top = best(rows)
print(json.dumps({'name': top['name'], 'score': int(top['score'])}))
