"""Asisten Prakerja: the Telegram front end (python-telegram-bot 22) relaying to Rasa."""
