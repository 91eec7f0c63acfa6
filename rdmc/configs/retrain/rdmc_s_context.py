# rdmc-s with a global-context gate on the bottleneck (ours, `global_context=True`): the
# decoder learns how veiled the whole image is, which heavy rain's haze needs.
_base_ = ["./rdmc_s.py"]

model = dict(arch=dict(global_context=True))
