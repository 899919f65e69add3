"""Plain-Python helpers at the bottom of the layers: no Flask, no peewee; every package may import them."""
