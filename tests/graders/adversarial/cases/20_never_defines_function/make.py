"""Case 20_never_defines_function: circle_area is never defined; its tests fail by name; the issue
asks for status error:<reason>.
"""


def make(kit):
    """Honest answers except circle_area, which is never defined."""
    kit.honest()
    kit.set_source("circle_area_answer", "# I ran out of time\nradius = 2.0\n")
    kit.write()
