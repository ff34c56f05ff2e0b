"""Training scripts past one device: ``torchrun --nproc_per_node N -m eqlib.experiments.<notebook>``.

Each script trains what a notebook trains, with PyTorch's DistributedDataParallel (NCCL on GPUs,
gloo on CPUs), and writes the checkpoint that the notebook's load-or-train step reads for the same
knobs, so a model trained on a cluster opens in the notebook without training. Run with plain
``python -m`` the same script trains in one process.
"""
