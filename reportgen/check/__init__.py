"""Stage 2: rows → Pydantic models plus every problem, each at its cell."""
