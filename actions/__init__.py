"""Custom actions for the Rasa action server (rasa-sdk, Python 3.10).

Modules that talk to external services keep rasa_sdk imports out of their own module so the
bot environment can import them too (e.g. ``actions.program_api``).
"""
