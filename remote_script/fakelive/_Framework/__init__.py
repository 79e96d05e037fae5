"""A minimal fake of Ableton's _Framework package (only what Remote Scripts use)."""
