from . import test_oauth
from . import test_tokens
from . import test_security
from . import test_client_log
from . import test_push_invoice
from . import test_push_payment
from . import test_books_check
from . import test_master_data
