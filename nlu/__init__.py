"""Rasa training data and custom NLU components for Asisten Prakerja."""
