"""``make robustness``: the robustness table of TARGETS.md, checked against a database of the suite's own."""
