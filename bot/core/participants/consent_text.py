"""Blether's default consent text: plain English, written for UK GDPR; facilitators may replace it."""

DEFAULT_CONSENT_TEXT = """\
Blether helps run this learning programme. It keeps what you choose to tell it: your community, \
the kind of area you live in, your role, which sessions you attended and the reflections you write. \
The programme team uses this to run and improve the sessions.

We would also like to ask three separate questions. Answer yes or no to each:
• Evaluation: may the university team evaluating the programme use your reflections? \
They get them without your name or Discord details.
• Quotes: may we quote your words, never with your name, in Flash Reports and programme reports?
• Interview: may the evaluation team contact you about an optional interview?

Saying no will not change your place in the programme. You can change your answers at any time \
with /me consent, and a change counts from then on. Under UK GDPR you can ask a facilitator to \
see, correct or delete your data, and you can complain to the Information Commissioner's Office \
(ico.org.uk)."""
