"""Materials of the cohort workshops (course/instructors/workshops.md) that are code: planted
exercises with their answer keys, tested like everything else."""
