# Diagnostic: rdmc-s without BatchNorm (convs with bias). BN's running statistics are one average
# over light and heavy rain; without BN nothing depends on the mix seen in training.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(norm="none"))
