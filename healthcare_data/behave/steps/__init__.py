"""Step definitions of the acceptance suite; importing a module registers its sentences."""
