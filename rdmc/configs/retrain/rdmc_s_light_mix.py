# rdmc-s with light rain drawn twice as often as heavy rain in training.
_base_ = ["./rdmc_s.py"]

train_dataloader = dict(dataset=dict(presets=("light", "light", "heavy")))
