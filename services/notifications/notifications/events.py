"""The events notifications publishes (an ``EventSpec`` each), and its views of those it consumes
(an ``EventView`` each)."""
