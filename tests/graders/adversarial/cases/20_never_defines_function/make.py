"""Case 20_never_defines_function: circle_area is never defined, so its tests fail by name;
the status names the fault (error:undefined-name) and earned points are kept.
"""


def make(kit):
    """Honest answers except circle_area, which is never defined."""
    kit.honest()
    kit.set_source("circle_area_answer", "# I ran out of time\nradius = 2.0\n")
    kit.write()
