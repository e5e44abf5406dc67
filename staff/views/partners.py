"""Partners: who carries petitions through the widget or the API, their tokens, webhooks.

Owners manage all of it; campaigners and analysts may look (docs/api.md, "Who may do
what"). A token or a webhook secret is shown once, on the page that answers its POST,
and never again: only its hash (a token) or the server-side copy (a secret, which signs
each delivery) is kept.
"""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from api.models import ApiToken, WebhookDelivery, WebhookEndpoint
from api.tokens import api_token_create, api_token_revoke
from api.webhooks import (
    WebhookRefused,
    webhook_endpoint_create,
    webhook_endpoint_deactivate,
    webhook_test_send,
)
from orgs.models import Organisation
from partners.models import Partner
from partners.services import partner_create, partner_set_active
from staff.access import staff_view
from staff.forms_partners import PartnerForm, TokenForm, WebhookForm

DELIVERIES_SHOWN = 50


@staff_view("partners.view_partner")
@require_safe
def partner_list(request):
    partners = Partner.objects.annotate(
        tokens_live=Count("api_tokens", filter=Q(api_tokens__revoked_at__isnull=True)),
        endpoints_live=Count("webhook_endpoints", filter=Q(webhook_endpoints__active=True)),
    ).order_by("-active", "name")
    return render(request, "staff/partners/list.html", {"partners": partners})


@staff_view("partners.add_partner")
def partner_new(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner = partner_create(
            organisation=Organisation.objects.current(), data=form.cleaned_data, by=request.user
        )
        messages.success(request, _("Partner added. Make a token or a webhook for them below."))
        return redirect("staff:partner", partner_pk=partner.pk)
    return render(request, "staff/partners/new.html", {"form": form})


def _detail_context(request, partner: Partner, **extra) -> dict:
    return {
        "partner": partner,
        "tokens": partner.api_tokens.select_related("created_by"),
        "endpoints": partner.webhook_endpoints.all(),
        "token_form": extra.pop("token_form", None) or TokenForm(),
        "webhook_form": extra.pop("webhook_form", None) or WebhookForm(),
        **extra,
    }


@staff_view("partners.view_partner")
@require_safe
def partner_detail(request, partner_pk):
    partner = get_object_or_404(Partner, pk=partner_pk)
    return render(request, "staff/partners/detail.html", _detail_context(request, partner))


@staff_view("partners.change_partner")
@require_POST
def partner_active(request, partner_pk):
    partner = get_object_or_404(Partner, pk=partner_pk)
    active = request.POST.get("active") == "1"
    partner_set_active(partner=partner, active=active)
    if active:
        messages.success(request, _("Partner switched on again."))
    else:
        messages.success(request, _("Partner switched off: its tokens and webhooks stop."))
    return redirect("staff:partner", partner_pk=partner.pk)


@staff_view("api.add_apitoken")
@require_POST
def token_new(request, partner_pk):
    partner = get_object_or_404(Partner, pk=partner_pk)
    form = TokenForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, partner, token_form=form)
        return render(request, "staff/partners/detail.html", context, status=400)
    made = api_token_create(
        partner=partner,
        name=form.cleaned_data["name"],
        scopes=form.cleaned_data["scopes"],
        by=request.user,
    )
    return render(
        request,
        "staff/partners/secret.html",
        {"partner": partner, "token": made.token, "secret": made.secret, "kind": "token"},
    )


@staff_view("api.change_apitoken")
@require_POST
def token_revoke(request, partner_pk, apitoken_pk):
    token = get_object_or_404(
        ApiToken.objects.select_related("partner"), pk=apitoken_pk, partner=partner_pk
    )
    if api_token_revoke(token=token, by=request.user):
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("staff:partner", partner_pk=partner_pk)


@staff_view("api.add_webhookendpoint")
@require_POST
def webhook_new(request, partner_pk):
    partner = get_object_or_404(Partner, pk=partner_pk)
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = webhook_endpoint_create(
                partner=partner, url=form.cleaned_data["url"], by=request.user
            )
        except WebhookRefused as refused:
            form.add_error("url", str(refused))
        else:
            return render(
                request,
                "staff/partners/secret.html",
                {"partner": partner, "endpoint": endpoint, "secret": secret, "kind": "webhook"},
            )
    context = _detail_context(request, partner, webhook_form=form)
    return render(request, "staff/partners/detail.html", context, status=400)


def _endpoint(partner_pk, endpoint_pk) -> WebhookEndpoint:
    return get_object_or_404(
        WebhookEndpoint.objects.select_related("partner"), pk=endpoint_pk, partner=partner_pk
    )


@staff_view("api.view_webhookendpoint")
@require_safe
def webhook_log(request, partner_pk, endpoint_pk):
    endpoint = _endpoint(partner_pk, endpoint_pk)
    deliveries = list(
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
    )
    return render(
        request,
        "staff/partners/webhook.html",
        {"partner": endpoint.partner, "endpoint": endpoint, "deliveries": deliveries},
    )


@staff_view("api.change_webhookendpoint")
@require_POST
def webhook_test(request, partner_pk, endpoint_pk):
    endpoint = _endpoint(partner_pk, endpoint_pk)
    if not endpoint.active or not endpoint.partner.active:
        messages.error(request, _("This endpoint is switched off; nothing was sent."))
    else:
        webhook_test_send(endpoint=endpoint)
        messages.success(
            request, _("Test event queued. Its try appears below within a few seconds.")
        )
    return redirect("staff:partner_webhook", partner_pk=partner_pk, endpoint_pk=endpoint.pk)


@staff_view("api.change_webhookendpoint")
@require_POST
def webhook_off(request, partner_pk, endpoint_pk):
    endpoint = _endpoint(partner_pk, endpoint_pk)
    if webhook_endpoint_deactivate(endpoint=endpoint, by=request.user):
        messages.success(request, _("Endpoint switched off: nothing more is sent to it."))
    return redirect("staff:partner", partner_pk=partner_pk)
