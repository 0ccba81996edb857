from . import account_move
from . import account_move_line
from . import qbo_connection
from . import qbo_mapping
from . import qbo_sync_job
from . import qbo_sync_log
from . import res_company
from . import res_config_settings
