"""Write services of the surveys area, one module per subject (cycles, ...)."""
