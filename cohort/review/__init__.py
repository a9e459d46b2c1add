"""Peer review of group projects: assign reviewers, hand out forms, collect transparent results."""
