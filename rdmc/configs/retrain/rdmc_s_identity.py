# rdmc-s with one training patch in eight left rain-free (target = input): the network also
# learns to leave rain-free content alone (the shipped rdmc-s changes rain-free test photos
# to 30.7 dB, about what light rain does to them).
_base_ = ["./rdmc_s.py"]

train_dataloader = dict(dataset=dict(clean_fraction=0.125))
