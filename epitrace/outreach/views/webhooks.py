"""Twilio's webhooks: texts received on our number, and delivery receipts.

Open to the internet without a login or a CSRF token (Twilio has neither);
every request must carry Twilio's signature of its URL and parameters,
made with our auth token, or it is refused with 403 before anything is read.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from epitrace.outreach import inbound
from epitrace.outreach.transports.twilio.signature import valid

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@login_not_required
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not valid(request):
        return HttpResponseForbidden("invalid signature")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    sender = request.POST.get("From", "")
    if not sid or not sender:
        return HttpResponse("MessageSid and From are required", status=400)
    inbound.receive_sms(
        provider_id=sid,
        from_=sender,
        to=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
    )
    # Replies (HELP) go through the outbox, not in this answer: they are
    # recorded, idempotent, and respect opt-outs like every other message.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@login_not_required
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not valid(request):
        return HttpResponseForbidden("invalid signature")
    key = request.GET.get("key", "")
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    if not key or not sid:
        return HttpResponse("key and MessageSid are required", status=400)
    inbound.delivery_receipt(
        key=key,
        attempt=request.GET.get("attempt", ""),
        sid=sid,
        status=(request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower(),
        error_code=request.POST.get("ErrorCode", ""),
    )
    # 204 for a stale receipt too: Twilio must not retry it.
    return HttpResponse(status=204)
