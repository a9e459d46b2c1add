"""Case 31_json_not_a_notebook: Valid JSON that is not a notebook."""


def make(kit):
    """Valid JSON, but not a notebook."""
    kit.write_text("lab01.ipynb", '{"answer": 42, "cells": "none"}')
