# rdmc-se-s: RDMC-SE (rdmc/models/rdmc_se.py, named rdmc-s until the preset became the
# authors' network; SE-gated encoder skips, full-width decoder; 1.04 M parameters) with the
# CPU recipe, as its shipped checkpoint was trained (the log in
# rdmc/checkpoints/rdmc_se_s.train.log names the architecture RDMC, its name then).
_base_ = ["./_base_/derain_cpu.py"]

model = dict(
    arch=dict(
        type="RDMCSE",
        widths=(8, 16, 24, 32, 32),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="dynamic",
    )
)
# Trained in float32 like the committed results it reproduces: `rdmc train` keeps it in fp32
# under --precision auto (--precision bf16 to change that).
precision = "fp32"
