"""Interviews: a stratified random shortlist of people who agreed to interview contact, and their invitations."""
