"""Outputs: compaction of the training set and dataset export."""
