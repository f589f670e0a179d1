"""Readers and writers for the files users bring and take away."""
