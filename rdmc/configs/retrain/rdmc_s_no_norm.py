# rdmc-s without BatchNorm (convs with bias), on the retraining schedule.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(norm="none"))
