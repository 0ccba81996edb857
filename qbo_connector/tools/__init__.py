from . import qbo_client
