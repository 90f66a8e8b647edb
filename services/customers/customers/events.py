"""The events customers publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each)."""
