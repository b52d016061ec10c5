"""Questionnaires: versioned item lists answered page by page (end of programme, facilitators, baseline)."""
