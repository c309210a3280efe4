"""An index of the open review tasks only: the inbox, the tasks API, the navigation bar's
count and the deadline sweep all start from "open tasks of the review node", a few
thousand rows among every task ever created (viewflow's own table, so raw SQL)."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS workflows_open_review_task ON viewflow_task (process_id, created) "
    "WHERE flow_task = 'workflows/flows.ReviewFlow.review' AND status IN ('NEW', 'ASSIGNED')"
)
DROP = "DROP INDEX IF EXISTS workflows_open_review_task"


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_one_gateway_no_timer")]

    operations = [migrations.RunSQL(CREATE, DROP, elidable=False)]
