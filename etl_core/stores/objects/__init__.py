"""Object stores: where exports are read from and outputs written to."""
