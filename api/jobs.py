"""The API app's job kind: one try at a webhook delivery (api.webhooks)."""

from api.webhooks import WEBHOOK_DELIVER, webhook_deliver
from jobs.registry import job_kind


@job_kind(WEBHOOK_DELIVER)
def webhook_deliver_job(payload: dict) -> None:
    webhook_deliver(delivery_id=payload["delivery"])
