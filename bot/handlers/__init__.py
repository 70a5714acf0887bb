"""Telegram update handlers; each module exports a Router."""
