# rdmc-s: the small preset (about 1.0 M parameters), trainable on a 2-core CPU.
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
