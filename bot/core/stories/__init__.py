"""Stories of change: facilitators mark one story a month as the most significant, with a reason."""
