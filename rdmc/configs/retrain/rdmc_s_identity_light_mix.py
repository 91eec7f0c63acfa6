# rdmc-s with both: one rain-free patch in eight and light rain twice as often as heavy.
_base_ = ["./rdmc_s_identity.py"]

train_dataloader = dict(dataset=dict(presets=("light", "light", "heavy")))
