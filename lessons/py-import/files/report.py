# Print the row of scores.csv with the best score, as JSON: {"name": "...", "score": N}
# TODO: read scores.csv with the csv module, find the best row, print it with json.dumps
