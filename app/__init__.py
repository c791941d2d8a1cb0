"""Reelgraph: a node-graph editor for AI video shots."""

__version__ = "0.1.0"
