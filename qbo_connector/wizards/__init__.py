from . import qbo_books_check
from . import qbo_tax_mapping
from . import qbo_tax_mapping_line
