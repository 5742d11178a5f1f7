"""Siamese networks for query-by-example matching with one recording per item.

``music`` writes the melodies and renders them, ``database`` builds the cached item database and
the noisy queries, ``losses`` holds the pair, contrastive and triplet losses, ``model`` the twin
network, its trainer, the no-learning baseline and the evaluation.
"""
