"""Native kernels ganjax calls through JAX's FFI where XLA's own are slower (CPU only)."""
