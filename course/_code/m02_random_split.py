import random

days = list(range(10))  # ten days of transactions, in time order
random.seed(1)
random.shuffle(days)
train, test = sorted(days[:7]), sorted(days[7:])
print(train, test)
print(max(train) > min(test))
