"""Custom actions for the Rasa action server (rasa-sdk, Python 3.10).

The program API client, dates and identifier helpers live in ``core``, shared with the bot.
"""
