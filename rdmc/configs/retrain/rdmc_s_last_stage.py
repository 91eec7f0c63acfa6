# rdmc-s with the loss on the last stage only (the authors' supervision), retraining schedule.
_base_ = ["./rdmc_s.py"]

model = dict(loss=dict(supervise="last"))
