from . import test_oauth
from . import test_tokens
from . import test_security
from . import test_client_log
