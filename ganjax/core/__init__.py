"""The core every family builds on: state, phases, discriminator outputs, techniques, guard."""
