"""lettr_django: a Django email backend that sends through Lettr (API or SMTP)."""
