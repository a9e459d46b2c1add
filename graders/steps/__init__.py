"""One small step per module; pipelines (ordered lists of steps) live in `graders.pipelines`."""

from graders.steps.base import InstructorCell, Step, StepContext, StepError

__all__ = ["InstructorCell", "Step", "StepContext", "StepError"]
