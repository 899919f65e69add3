"""Plain-Python building blocks below every other layer (no Flask, no peewee): de-CH formatting, validity ranges."""
