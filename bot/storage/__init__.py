"""The store's pieces: tables, records, transactions and one repository per concern.

`bot/store.py` is the front door that opens the database and hands these out; nothing in
this package imports the rest of the bot.
"""
