"""lettr_flask: a Flask-Mail-compatible extension that sends through Lettr (API or SMTP)."""
