"""PDF documents (letters, notices, confirmations, invoices): pure rendering from plain values, no database."""
