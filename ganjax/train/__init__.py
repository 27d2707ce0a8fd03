"""Training: the state pytree, the compiled minimax step and the loop around it."""
