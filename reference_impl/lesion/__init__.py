"""The skin-lesion screening reference system: generated images in the HAM10000 layout, their
data contract, hand-crafted ABCD features and (model side) screening metrics. See README.md."""
