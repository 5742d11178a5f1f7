"""Embedding Explorer: the Qt application and the command line around the models package.

Importing it changes no process-wide setting; the window and the command line make theirs at
start-up (see :mod:`explorer.tuning`)."""
