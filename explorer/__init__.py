"""Embedding Explorer: the Qt application and the command line around the models package."""
from models.core.blas import one_blas_thread

# The app always has other threads busy beside its BLAS calls (training, the window), which is
# where threaded OpenBLAS is slowest: see one_blas_thread. The scripts' models/ is left as is.
one_blas_thread()
