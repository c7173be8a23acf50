"""The sample trees are audited, never imported or collected as tests."""

collect_ignore_glob = ["samples/*"]
