"""Construction projects: pool types, step templates, the worksite planner, crews, payment schedule
milestones.
"""
