"""Embedding Explorer: the Qt application and the command line around the models package."""
import sys

from models.core.blas import one_blas_thread

# The app always has other threads busy beside its BLAS calls (training, the window), which is
# where threaded OpenBLAS is slowest: see one_blas_thread. The scripts' models/ is left as is.
one_blas_thread()
# A worker thread running Python (counting a corpus, building events) holds the GIL for up to the
# switch interval each time the window's thread asks for it, and painting a plot asks many times:
# with the default 5 ms, the event loop stalled up to 250 ms while a corpus was prepared; with
# 1 ms, under 90 ms (a 10 ms timer probe while training skip-gram on the bundled corpus).
sys.setswitchinterval(0.001)
