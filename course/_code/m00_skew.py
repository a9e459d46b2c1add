TRAIN_MEAN_EUR = 50.0  # mean amount of the training data, in euros


def amount_feature(amount_eur: float) -> float:
    return amount_eur - TRAIN_MEAN_EUR


# Training read amounts in euros from the warehouse; the payment API sends cents.
offline = amount_feature(123.45)
online = amount_feature(12345)
print(offline, online)
