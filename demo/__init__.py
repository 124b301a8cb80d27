"""The main job on embedded defaults: `python -m demo` (see README)."""
