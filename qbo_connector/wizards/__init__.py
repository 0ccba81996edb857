from . import qbo_books_check
