"""Small groups for sessions: who meets whom, mixing communities, areas and roles."""
