# rdmc-s: the small preset, the authors' structure at narrow widths (0.46 M parameters) with
# our per-image gates on the 8 recruitment paths, trainable on a 2-core CPU.
_base_ = ["./_base_/derain_cpu.py"]

model = dict(
    arch=dict(
        type="RDMC",
        widths=(8, 16, 24, 32, 32),
        dilations=(1, 2, 3),
        stages=3,
        recruitment="dynamic",
    )
)
