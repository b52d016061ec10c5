"""Small groups for a session: assignment, proposals, group threads, late joins and peer coaches."""
