"""Embedding Explorer: the Qt application and the command line around the models package."""
