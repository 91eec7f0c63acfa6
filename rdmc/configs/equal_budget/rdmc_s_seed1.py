# rdmc-s at the equal budget again with another seed (data order, rain, init): the run-to-run
# spread against which the differences in the comparison and ablation tables are read.
_base_ = ["./rdmc_s.py"]

randomness = dict(seed=1)
