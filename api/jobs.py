"""The API app's job kind (one try at a webhook delivery) and its loop (forgetting old ones)."""

from django.conf import settings

from api.webhooks import WEBHOOK_DELIVER, webhook_deliver, webhook_deliveries_prune
from jobs.registry import job_kind, periodic


@job_kind(WEBHOOK_DELIVER)
def webhook_deliver_job(payload: dict) -> None:
    webhook_deliver(delivery_id=payload["delivery"])


@periodic("webhook_deliveries_prune", every=3600)
def webhook_deliveries_prune_loop() -> int:
    return webhook_deliveries_prune(older_than_days=settings.WEBHOOK_DELIVERY_DAYS)
