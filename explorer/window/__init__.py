"""The main window and its helpers: the application's start-up, the window, its session files,
the tour, the vector files it opens and exports, and the live map's coordinates and colouring.
The views it shows live in :mod:`explorer.views` and never import this package."""
