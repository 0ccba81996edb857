from . import qbo_books_check
from . import qbo_books_check_line
from . import qbo_mapping_screen
from . import qbo_tax_mapping
from . import qbo_tax_mapping_line
from . import qbo_payment_method_mapping
from . import qbo_payment_method_mapping_line
from . import qbo_payment_method_mapping_reverse
