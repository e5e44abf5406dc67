from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from petitions.models import Petition


def home(request):
    petitions = Petition.objects.public().order_by("-published_at")[:20]
    return render(request, "home.html", {"petitions": petitions})


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
