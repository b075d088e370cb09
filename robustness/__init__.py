"""``make robustness``: the robustness table of docs/TARGETS.md, checked against a database of the suite's own."""
