from django import forms
from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect

from ceiling.models import Signature

COUNTRIES = [(code, code) for code in ("GB", "FR", "DE", "US", "ES", "IT", "NL", "IE")]


class SignForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField()
    country = forms.ChoiceField(choices=COUNTRIES)


def bare(request):
    return HttpResponse("ok")


def csrf(request):
    return JsonResponse({"csrf": get_token(request)})


def sign(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    form = SignForm(request.POST)
    if not form.is_valid():
        return HttpResponse("invalid", status=400)
    try:
        Signature.objects.create(**form.cleaned_data)
    except IntegrityError:
        return redirect("/thanks/?already=1")
    return redirect("/thanks/")
