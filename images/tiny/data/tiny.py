print("tiny data")
