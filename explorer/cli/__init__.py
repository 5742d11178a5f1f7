"""The command line: ``python -m explorer COMMAND``. :mod:`explorer.cli.main` parses and dispatches;
one module per family of commands (audio, matching, vectors) and :mod:`explorer.cli.run` for the
progress bar and Ctrl+C that they share. Nothing here loads Qt."""
