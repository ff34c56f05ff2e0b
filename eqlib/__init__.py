"""eqlib: the tested helpers behind the notebooks on structured and equivariant representations.

One module per idea (see the README's map): ``runtime`` (device, seeds, modes, paths),
``data`` (datasets), ``groups`` (group actions and equivariance errors), ``nn`` (layers),
``models`` (assembled networks), ``metrics``, ``train`` (the training loop), ``viz`` and
``widgets``.
"""

__version__ = "0.1.0"
