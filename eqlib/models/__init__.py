"""Assembled networks built from ``eqlib.nn`` layers."""

from eqlib.models.cnn import MLPNet, P4CNN, PlainCNN

__all__ = ["MLPNet", "P4CNN", "PlainCNN"]
