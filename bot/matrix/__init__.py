"""The Matrix adapter: the same programme in Matrix rooms (`blether run --platform matrix`); imports no discord."""
