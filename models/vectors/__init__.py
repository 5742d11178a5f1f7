"""Word vectors: the store (``store``), the analyses the views and the CLI run on it (``evaluation``,
``similarity``, ``clustering``, ``comparison``, ``projection``) and every file format in and out
(``formats``). Import the module you need; this package imports nothing, so a model module can use
the store without loading the file formats or the projections."""
