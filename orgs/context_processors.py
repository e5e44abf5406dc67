from orgs.brand import organisation_current


def organisation(request):
    return {"organisation": organisation_current()}
