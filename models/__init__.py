"""Pure Torch and NumPy models: usable from a script or a notebook, never imports Qt."""
import numba

# Training and projections run numba's parallel kernels from worker threads, sometimes two at once
# (a UMAP map while a model trains). numba's default fallback layer, workqueue, aborts the process
# on concurrent use; the OpenMP or TBB layers are safe, and this makes numba pick one of them.
numba.config.THREADING_LAYER = "threadsafe"
