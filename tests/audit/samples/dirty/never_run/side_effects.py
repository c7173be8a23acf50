"""Importing or running this file leaves a marker and raises: the audit must do neither."""

import pathlib
import smtplib

pathlib.Path(__file__).with_name("EXECUTED").write_text("the audit ran this file\n")
raise RuntimeError("lettr audit executed the audited code")

smtplib.SMTP("smtp.example.com")
